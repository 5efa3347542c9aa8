//! `hybrid`: one binary that runs any set of Hybrid's services.

mod cli;
mod migrate_data;
mod peers;
mod registry;
mod server;
mod settings;
mod telemetry;
mod watch;
mod web;

use std::io::Read;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Parser;
use hybrid_auth::AuthService;
use hybrid_core::Shutdown;

use cli::{AdminCommand, Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let listen = match &cli.command {
        Command::Serve { listen } => listen.as_deref(),
        _ => None,
    };
    let config = settings::load(&cli.global, listen)?;
    match cli.command {
        Command::Serve { .. } => {
            let telemetry = telemetry::init(&config)?;
            let served = server::serve(config).await;
            telemetry.shutdown().await;
            served
        }
        Command::Config => {
            print!("{}", toml::to_string_pretty(&settings::printable(&config)?)?);
            Ok(())
        }
        Command::Services => {
            // name, the services it calls (`-`: none), what it is; deploy checks read the first two
            for module in registry::all_modules().into_iter().filter(|m| m.in_all()) {
                let calls = peers::calls(module.as_ref());
                let calls = if calls.is_empty() {
                    "-".to_owned()
                } else {
                    calls.join(",")
                };
                println!("{:<10} {:<12} {}", module.name(), calls, module.description());
            }
            Ok(())
        }
        Command::Migrate => {
            for module in registry::select(&config.services)?
                .into_iter()
                .filter(|m| !m.migrations().is_empty())
            {
                let (db, ran) = registry::open_migrated(module.as_ref(), &config).await?;
                println!("{:<10} {ran} migration(s) applied", module.name());
                db.close().await;
            }
            Ok(())
        }
        Command::MigrateData { from, to, resume } => migrate_data::run(&config, &from, &to, resume).await,
        Command::Watch { url, token, count } => watch::watch(&url, &token, count).await,
        Command::Admin(AdminCommand::GenMasterKey) => {
            println!("{}", hybrid_core::secrets::generate_master_key());
            Ok(())
        }
        Command::Admin(AdminCommand::Reseal) => reseal(&config).await,
        Command::Admin(command) => admin(config, command).await,
    }
}

/// Seals the stored secrets of the configured services again under the current master key.
async fn reseal(config: &hybrid_core::Config) -> anyhow::Result<()> {
    let secrets = Arc::new(hybrid_core::Secrets::resolve(config)?);
    for module in registry::select(&config.services)?
        .into_iter()
        .filter(|m| !m.migrations().is_empty())
    {
        let (db, _) = registry::open_migrated(module.as_ref(), config).await?;
        let changed = module.reseal(db.clone(), secrets.clone()).await;
        db.close().await;
        let changed = changed.with_context(|| format!("resealing the {} secrets", module.name()))?;
        println!("{:<10} {changed} value(s) sealed again", module.name());
    }
    Ok(())
}

/// Admin commands run the auth and users services in this process, on the same data; they
/// serve nothing (the gRPC port belongs to the server running beside them).
async fn admin(mut config: hybrid_core::Config, command: AdminCommand) -> anyhow::Result<()> {
    config.services = "users,auth".into();
    config.grpc.listen.clear();
    let modules = registry::select(&config.services)?;
    let (_stop, shutdown) = Shutdown::new();
    let running = registry::start(&modules, Arc::new(config), shutdown).await?;
    let auth = running.apis.require::<AuthService>("auth")?;
    let result = match command {
        AdminCommand::CreateUser {
            username,
            password,
            admin,
        } => {
            let password = match password {
                Some(password) => password,
                None => {
                    let mut password = String::new();
                    std::io::stdin()
                        .read_to_string(&mut password)
                        .context("reading the password from standard input")?;
                    password.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            if password.is_empty() {
                bail!("no password: pass --password, set HYBRID_ADMIN_PASSWORD or pipe it in");
            }
            let user = auth
                .create_account(&username, password, admin, None)
                .await
                .map_err(|err| anyhow::anyhow!("{}", err.message))?;
            println!(
                "created user {} (id {}){}",
                user.username,
                user.id,
                if admin { " as admin" } else { "" }
            );
            Ok(())
        }
        AdminCommand::SetAdmin { username, revoke } => {
            let user = auth
                .set_admin(&username, !revoke)
                .await
                .map_err(|err| anyhow::anyhow!("{}", err.message))?;
            let now = if revoke {
                "no longer an administrator"
            } else {
                "an administrator"
            };
            println!("{} (id {}) is {now}", user.username, user.id);
            Ok(())
        }
        AdminCommand::CreateInvite { uses, hours } => {
            let (code, _) = auth
                .create_invite(None, uses.clamp(1, 1000), hours.clamp(1, 8760))
                .await
                .map_err(|err| anyhow::anyhow!("{}", err.message))?;
            println!("{code}");
            Ok(())
        }
        AdminCommand::GenMasterKey | AdminCommand::Reseal => unreachable!("handled without starting services"),
    };
    for db in &running.databases {
        db.close().await;
    }
    result
}
