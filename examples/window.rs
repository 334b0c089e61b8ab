//! Opens the framescope window (the same as running `framescope` with no
//! subcommand).

fn main() -> Result<(), String> {
    framescope::app::run()
}
