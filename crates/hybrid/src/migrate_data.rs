//! `hybrid migrate-data --from <data dir> --to postgres://…`: moves a stopped embedded install
//! onto an empty PostgreSQL database. Every module's tables are copied with their ids and pts,
//! derived data (the search index) is rebuilt, and counts are printed per table. A database that
//! already holds data is refused, since rows are copied, never merged; `--resume` finishes an
//! interrupted run (rows already there are left alone).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use hybrid_core::Config;

use crate::registry;

/// The embedded data directory named by `from`: a path, or `sqlite://<path>` (a data dir or
/// one of its module files).
fn data_dir(from: &str) -> anyhow::Result<PathBuf> {
    let path = Path::new(from.strip_prefix("sqlite://").unwrap_or(from));
    let dir = if path.extension().is_some_and(|e| e == "db") {
        path.parent().unwrap_or(Path::new("."))
    } else {
        path
    };
    let has_data = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .any(|e| e.path().extension().is_some_and(|x| x == "db"));
    if !has_data {
        bail!("no embedded data (*.db files) in {}", dir.display());
    }
    Ok(dir.to_owned())
}

pub async fn run(config: &Config, from: &str, to: &str, resume: bool) -> anyhow::Result<()> {
    if !to.starts_with("postgres://") && !to.starts_with("postgresql://") {
        bail!("--to must be a postgres:// URL");
    }
    let mut source = config.clone();
    source.database.url = String::new();
    source.data_dir = data_dir(from)?;
    let mut target = config.clone();
    target.database.url = to.to_owned();

    // Every target is opened (and migrated) once, and all are checked before anything is copied;
    // in start order, so a service's data comes after the data of those it needs.
    let mut targets = Vec::new();
    for module in registry::select("all")?
        .into_iter()
        .filter(|m| !m.migrations().is_empty())
    {
        let (to_db, _) = registry::open_migrated(module.as_ref(), &target).await?;
        if !resume && !to_db.is_empty().await? {
            bail!(
                "the target already holds {} data: migrate into an empty database (rows are \
                 copied, not merged), or pass --resume to finish an interrupted run",
                module.name()
            );
        }
        targets.push((module, to_db));
    }
    println!("{:<28} {:>10} {:>10}", "table", "read", "copied");
    for (module, to_db) in targets {
        let (from_db, _) = registry::open_migrated(module.as_ref(), &source).await?;
        let copies = from_db
            .copy_into(&to_db, module.not_migrated())
            .await
            .with_context(|| format!("copying the {} data", module.name()))?;
        for copy in copies {
            let name = format!("{}.{}", module.name(), copy.table);
            println!("{name:<28} {:>10} {:>10}", copy.read, copy.copied);
        }
        if let Some(line) = module.rebuild_derived(to_db.clone()).await? {
            println!("{}: {line}", module.name());
        }
        from_db.close().await;
        to_db.close().await;
    }
    let key = source.data_dir.join("master.key");
    if config.secrets.master_key.is_empty() && key.is_file() {
        println!(
            "\nAuth data is sealed with {}: start the PostgreSQL deployment with that key, e.g.\n  \
             HYBRID_SECRETS__MASTER_KEY=\"$(cat {})\" hybrid --database-url … serve",
            key.display(),
            key.display()
        );
    }
    Ok(())
}
