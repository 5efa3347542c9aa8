//! Command line: `hybrid serve | migrate | config | services | admin …`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "hybrid", version, about = "Hybrid: a self-hosted messenger and workspace")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes; each can also come from the config file or `HYBRID_*`.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// TOML config file (also HYBRID_CONFIG).
    #[arg(long, global = true, env = "HYBRID_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory for embedded storage [default: ./data].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of embedded SQLite.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Services to run, comma-separated, or `all` [default: all].
    #[arg(long, global = true)]
    pub services: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server with the selected services.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<String>,
    },
    /// Apply database migrations of the selected services, then exit.
    Migrate,
    /// Copy an embedded install's data into PostgreSQL (ids and pts kept; safe to run twice).
    MigrateData {
        /// The embedded data directory (or `sqlite://<dir>`).
        #[arg(long)]
        from: String,
        /// The PostgreSQL database, `postgres://…`; it must hold no Hybrid data yet.
        #[arg(long)]
        to: String,
        /// Finish an interrupted run into a database that already holds part of this data
        /// (the embedded server must have stayed stopped since).
        #[arg(long)]
        resume: bool,
    },
    /// Print the effective configuration (secrets masked) as TOML.
    Config,
    /// List the services this binary can run.
    Services,
    /// Print the realtime events a user receives, one JSON object per line.
    Watch {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// An access token (also HYBRID_TOKEN).
        #[arg(long, env = "HYBRID_TOKEN", hide_env_values = true)]
        token: String,
        /// Exit after this many frames.
        #[arg(long)]
        count: Option<usize>,
    },
    /// Administration tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user account (works whatever the registration policy).
    CreateUser {
        #[arg(long)]
        username: String,
        /// The password; read from HYBRID_ADMIN_PASSWORD or standard input when omitted.
        #[arg(long, env = "HYBRID_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Make the user an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Grant administration to a user, or take it away (`--revoke`); applies to their next
    /// request, whatever tokens they hold.
    SetAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Create a registration invite code (for `auth.registration = "invite_only"`).
    CreateInvite {
        /// Registrations it allows.
        #[arg(long, default_value_t = 1)]
        uses: i64,
        /// Hours until it expires.
        #[arg(long, default_value_t = 168)]
        hours: i64,
    },
    /// Print a new random master key for `secrets.master_key`.
    GenMasterKey,
    /// Seal every stored secret again under `secrets.master_key`, after a rotation moved the
    /// old key to `secrets.retired_keys`; the retired key can be dropped afterwards.
    Reseal,
}
