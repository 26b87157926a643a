use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = arxrank::cli::Cli::parse();
    match arxrank::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = e.exit_code();
            let err = anyhow::Error::new(e);
            if err
                .chain()
                .filter_map(|c| c.downcast_ref::<std::io::Error>())
                .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("arxrank: error: {err:#}");
            ExitCode::from(code)
        }
    }
}
