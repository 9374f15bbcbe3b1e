use clap::Parser;

#[actix_web::main]
async fn main() {
    let cli = parc::cli::Cli::parse();
    if let Err(e) = parc::cli::run(cli).await {
        eprintln!("parc: {e:#}");
        std::process::exit(1);
    }
}
