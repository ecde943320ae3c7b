//! `meshcert completions` and `meshcert man`: generated from the same command line definition.

use super::*;

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
        // Every subcommand and a few options are offered.
        for word in ["check", "serve", "rotation", "interval", "push-gateway"] {
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
    assert!(
        page.starts_with(".ie") || page.contains(".TH meshcert 1"),
        "{page}"
    );
    assert!(page.contains(".TH meshcert 1"));
    for command in ["check", "serve", "rotation", "completions"] {
        assert!(page.contains(command), "no {command} in the man page");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = meshcert(&["man", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for name in ["meshcert.1", "meshcert-check.1", "meshcert-serve.1"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(text.contains(".TH"), "{name}");
    }
    let check = std::fs::read_to_string(dir.path().join("meshcert-check.1")).unwrap();
    assert!(
        check.contains("fail\\-on") || check.contains("fail-on"),
        "{check}"
    );
}
