//! Loads the effective [`Config`]: defaults, then the TOML file, then `HYBRID_*` environment
//! variables (`__` between section and key: `HYBRID_AUTH__REGISTRATION=closed`), then flags.

use anyhow::Context;
use config::{Environment, File, FileFormat};
use hybrid_core::Config;

use crate::cli::GlobalArgs;

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
    Ok(config)
}
