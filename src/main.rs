use std::process::ExitCode;

fn main() -> ExitCode {
    meshcert::main()
}
