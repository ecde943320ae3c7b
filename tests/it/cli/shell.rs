//! `meshcert completions` and `meshcert man`: generated from the same command line definition.

use super::*;

/// The subcommands as the command line defines them (clap adds `help`).
fn subcommands() -> Vec<String> {
    let command = <meshcert::cli::Cli as clap::CommandFactory>::command();
    command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .chain(["help".to_string()])
        .collect()
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _meshcert"),
        ("zsh", "#compdef meshcert"),
        ("fish", "complete -c meshcert"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = meshcert(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        // Every subcommand of the command line's own definition, and a few options, are offered.
        for word in subcommands().iter().map(String::as_str).chain([
            "interval",
            "push-gateway",
            "web.config.file",
        ]) {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    // The bash script is valid bash, and completing `meshcert se` offers `serve`.
    let script = stdout(&meshcert(&["completions", "bash"]));
    let offered = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{script}\nCOMP_WORDS=(meshcert se); COMP_CWORD=1; _meshcert meshcert se meshcert; echo \"${{COMPREPLY[@]}}\""
        ))
        .output()
        .unwrap();
    assert!(
        offered.status.success(),
        "{}",
        String::from_utf8_lossy(&offered.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&offered.stdout).trim(), "serve");
    let out = meshcert(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_lists_the_commands_and_man_out_writes_one_page_each() {
    let out = meshcert(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = stdout(&out);
    let title = |page: &str| {
        page.lines()
            .find(|l| l.starts_with(".TH "))
            .map(String::from)
    };
    assert_eq!(
        title(&page).as_deref(),
        Some(".TH meshcert 1  \"meshcert 0.1.0\" "),
        "{page}"
    );
    // The SUBCOMMANDS section names each subcommand's page (help is clap's own).
    let subcommands = subcommands();
    for command in subcommands.iter().filter(|c| *c != "help") {
        let reference = format!("meshcert\\-{}(1)", command.replace('-', "\\-"));
        assert!(
            page.lines().any(|l| l == reference),
            "no {reference} in the man page"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = meshcert(&["man", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut written: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    let mut expected: Vec<String> = subcommands
        .iter()
        .filter(|c| *c != "help")
        .map(|c| format!("meshcert-{c}.1"))
        .chain(["meshcert.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(written, expected);
    for name in &expected {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let stem = name.trim_end_matches(".1");
        assert!(
            title(&text).is_some_and(|t| t.starts_with(&format!(".TH {stem} 1 "))),
            "{name}: {:?}",
            title(&text)
        );
    }
    let check = std::fs::read_to_string(dir.path().join("meshcert-check.1")).unwrap();
    assert!(
        check.contains("fail\\-on") || check.contains("fail-on"),
        "{check}"
    );
}
