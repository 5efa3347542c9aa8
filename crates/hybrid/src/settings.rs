//! Loads the effective [`Config`]: defaults, then the TOML file, then `HYBRID_*` environment
//! variables (`__` between section and key: `HYBRID_AUTH__REGISTRATION=closed`), then flags.

use anyhow::{Context, bail};
use config::{Environment, File, FileFormat, ValueKind};
use hybrid_core::Config;

use crate::cli::GlobalArgs;
use crate::registry;

pub fn load(args: &GlobalArgs, listen: Option<&str>) -> anyhow::Result<Config> {
    let mut builder =
        config::Config::builder().add_source(config::Config::try_from(&Config::default()).context("default config")?);
    if let Some(path) = &args.config {
        builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml).required(true));
    }
    builder = builder.add_source(
        Environment::with_prefix("HYBRID")
            .prefix_separator("_")
            .separator("__")
            .ignore_empty(true),
    );
    let mut config: Config = builder
        .build()
        .and_then(|c| c.try_deserialize())
        .context("invalid configuration")?;
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &args.database_url {
        config.database.url = url.clone();
    }
    if let Some(services) = &args.services {
        config.services = services.clone();
    }
    if let Some(listen) = listen {
        config.listen = listen.to_owned();
    }
    move_deprecated_master_key(&mut config);
    printable(&config)?; // every service's section is checked now, not when the service starts
    Ok(config)
}

/// The master key's place before `secrets.master_key` (`auth.master_key`,
/// `HYBRID_AUTH__MASTER_KEY`) still works, with a warning.
fn move_deprecated_master_key(config: &mut Config) {
    let Some(ValueKind::Table(auth)) = config.sections.get_mut("auth").map(|section| &mut section.kind) else {
        return;
    };
    let Some(old) = auth.remove("master_key").and_then(|value| value.into_string().ok()) else {
        return;
    };
    if config.secrets.master_key.is_empty() {
        eprintln!("warning: auth.master_key is deprecated: set secrets.master_key (HYBRID_SECRETS__MASTER_KEY)");
        config.secrets.master_key = old;
    }
}

/// The effective configuration as TOML values, secrets masked: the platform's settings, then
/// each service's section with the defaults of what it does not set. Fails on a section no
/// service owns, or one a service cannot read.
pub fn printable(config: &Config) -> anyhow::Result<toml::Table> {
    let mut table = toml::Table::try_from(config.masked()).context("the configuration as TOML")?;
    let modules = registry::all_modules();
    // A stray top-level value (`HYBRID_ADMIN_PASSWORD`, another tool's `HYBRID_*`) is no
    // setting and stays ignored; a section is meant as one, and a misspelt one is an error.
    for (name, value) in &config.sections {
        let section = matches!(value.kind, ValueKind::Table(_));
        if section && !modules.iter().any(|m| m.name() == name && m.settings().is_some()) {
            bail!("invalid configuration: no setting or service section is called `{name}`");
        }
    }
    for module in &modules {
        if let Some(section) = module.settings() {
            let value = (section.effective)(config, module.name())?;
            table.insert(module.name().to_owned(), toml::Value::try_from(value)?);
        }
    }
    Ok(table)
}
