//! framescope's executable: the window, or a headless subcommand.

fn main() -> std::process::ExitCode {
    framescope::cli::main()
}
