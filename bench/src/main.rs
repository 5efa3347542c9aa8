//! `hybrid-bench`: measures a real `hybrid serve` (started fresh for each scenario) and the
//! reference servers, and reports throughput, latency percentiles, and CPU and memory of the
//! server and of the generator itself. See docs/benchmarks.md.

mod api;
mod proc;
mod refs;
mod scenarios;
mod stats;
mod target;
mod ws;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use scenarios::Report;
use target::Target;

#[derive(Parser)]
#[command(name = "hybrid-bench", about = "Load generator and reference servers for Hybrid")]
struct Cli {
    /// The `hybrid` binary started for each scenario.
    #[arg(long, global = true, default_value = "target/release/hybrid")]
    hybrid: PathBuf,
    /// Seconds each measurement runs.
    #[arg(long, global = true, default_value_t = 10)]
    seconds: u64,
    /// Also write the reports as JSON to this file.
    #[arg(long, global = true)]
    json: Option<PathBuf>,
    /// Extra server settings as KEY=VALUE (`HYBRID_…` variables), e.g. the scaled shape's URLs.
    #[arg(long = "server-env", global = true)]
    server_env: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// N pairs chatting in direct chats at a total rate.
    Direct {
        #[arg(long, default_value_t = 500)]
        pairs: usize,
        /// Messages per second, all pairs together.
        #[arg(long, default_value_t = 20_000.0)]
        rate: f64,
    },
    /// One group of M members, all connected, K senders.
    Fanout {
        #[arg(long, default_value_t = 1_000)]
        members: usize,
        #[arg(long, default_value_t = 4)]
        senders: usize,
        /// Messages per second (deliveries per second = rate × members).
        #[arg(long, default_value_t = 300.0)]
        rate: f64,
        /// Against the reference broadcast server instead of Hybrid.
        #[arg(long)]
        reference: bool,
    },
    /// C authenticated sockets with heartbeats only: memory per socket and idle CPU.
    Idle {
        #[arg(long, default_value_t = 10_000)]
        connections: usize,
        /// Accounts the sockets are spread over.
        #[arg(long, default_value_t = 100)]
        users: usize,
        #[arg(long)]
        reference: bool,
    },
    /// History pages and searches while writes go on.
    History {
        #[arg(long, default_value_t = 5_000)]
        messages: usize,
        #[arg(long, default_value_t = 8)]
        readers: usize,
        /// Writes per second meanwhile.
        #[arg(long, default_value_t = 500.0)]
        rate: f64,
    },
    /// Clients reconnecting after missing a burst, catching up through sync.
    Catchup {
        #[arg(long, default_value_t = 200)]
        clients: usize,
        #[arg(long, default_value_t = 100)]
        burst: usize,
    },
    /// The storage ceiling: plain SQLite inserts at Hybrid's durability settings.
    RefSqlite {
        #[arg(long, default_value_t = 200_000)]
        rows: usize,
        #[arg(long, default_value_t = 256)]
        batch: usize,
    },
    /// Runs the reference broadcast server (started by the fanout and idle references).
    #[command(hide = true)]
    RefServer {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
    /// Every scenario and reference, with the ratios; `--tiny` for a quick check of the
    /// harness (CI).
    All {
        #[arg(long)]
        tiny: bool,
    },
}

fn main() -> anyhow::Result<()> {
    proc::raise_nofile_limit();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let env: Vec<(String, String)> = cli
        .server_env
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .context("--server-env takes KEY=VALUE")
        })
        .collect::<anyhow::Result<_>>()?;
    let bench = Bench {
        hybrid: cli.hybrid.clone(),
        env,
        duration: Duration::from_secs(cli.seconds.max(1)),
    };
    if let Command::RefServer { listen } = &cli.command {
        return refs::serve(listen).await;
    }
    let needs_hybrid = match &cli.command {
        Command::RefSqlite { .. } => false,
        Command::Fanout { reference, .. } | Command::Idle { reference, .. } => !reference,
        _ => true,
    };
    if needs_hybrid && !bench.hybrid.is_file() {
        bail!(
            "{} not found: build it (cargo build --release --bin hybrid) or pass --hybrid",
            bench.hybrid.display()
        );
    }
    let reports = match cli.command {
        Command::Direct { pairs, rate } => vec![bench.direct(pairs, rate).await?],
        Command::Fanout {
            members,
            senders,
            rate,
            reference,
        } => vec![bench.fanout(members, senders, rate, reference).await?],
        Command::Idle {
            connections,
            users,
            reference,
        } => vec![bench.idle(connections, users, reference).await?],
        Command::History {
            messages,
            readers,
            rate,
        } => vec![bench.history(messages, readers, rate).await?],
        Command::Catchup { clients, burst } => vec![bench.catchup(clients, burst).await?],
        Command::RefSqlite { rows, batch } => vec![print(refs::sqlite(rows, batch)?)],
        Command::All { tiny } => bench.all(tiny).await?,
        Command::RefServer { .. } => unreachable!(),
    };
    if let Some(path) = &cli.json {
        std::fs::write(path, serde_json::to_string_pretty(&reports)?)?;
    }
    Ok(())
}

struct Bench {
    hybrid: PathBuf,
    env: Vec<(String, String)>,
    duration: Duration,
}

impl Bench {
    async fn hybrid(&self) -> anyhow::Result<Target> {
        Target::hybrid(&self.hybrid, &self.env).await
    }

    async fn direct(&self, pairs: usize, rate: f64) -> anyhow::Result<Report> {
        let target = self.hybrid().await?;
        let report = scenarios::direct(&target, pairs, rate, self.duration).await;
        target.stop().await;
        Ok(print(report?))
    }

    async fn fanout(&self, members: usize, senders: usize, rate: f64, reference: bool) -> anyhow::Result<Report> {
        let shape = scenarios::Fanout {
            members,
            senders,
            rate,
            duration: self.duration,
        };
        let report = if reference {
            let target = Target::reference().await?;
            let report = scenarios::fanout_reference(&target, shape).await;
            target.stop().await;
            report
        } else {
            let target = self.hybrid().await?;
            let report = scenarios::fanout(&target, shape).await;
            target.stop().await;
            report
        };
        Ok(print(report?))
    }

    async fn idle(&self, connections: usize, users: usize, reference: bool) -> anyhow::Result<Report> {
        let target = if reference {
            Target::reference().await?
        } else {
            self.hybrid().await?
        };
        let report = scenarios::idle(&target, reference, connections, users, self.duration).await;
        target.stop().await;
        Ok(print(report?))
    }

    async fn history(&self, messages: usize, readers: usize, rate: f64) -> anyhow::Result<Report> {
        let target = self.hybrid().await?;
        let report = scenarios::history(&target, messages, readers, rate, self.duration).await;
        target.stop().await;
        Ok(print(report?))
    }

    async fn catchup(&self, clients: usize, burst: usize) -> anyhow::Result<Report> {
        let target = self.hybrid().await?;
        let report = scenarios::catchup(&target, clients, burst).await;
        target.stop().await;
        Ok(print(report?))
    }

    /// The whole suite, then the ratios to the references.
    async fn all(&self, tiny: bool) -> anyhow::Result<Vec<Report>> {
        let mut reports = Vec::new();
        let (pairs, rate) = if tiny { (5, 50.0) } else { (500, 20_000.0) };
        reports.push(self.direct(pairs, rate).await?);
        reports.push(print(refs::sqlite(if tiny { 2_000 } else { 200_000 }, 256)?));
        let fanouts: &[(usize, f64)] = if tiny {
            &[(20, 20.0)]
        } else {
            &[(1_000, 300.0), (10_000, 30.0)]
        };
        for &(members, rate) in fanouts {
            reports.push(self.fanout(members, 4, rate, false).await?);
            reports.push(self.fanout(members, 4, rate, true).await?);
        }
        let (connections, users) = if tiny { (50, 5) } else { (50_000, 500) };
        reports.push(self.idle(connections, users, false).await?);
        reports.push(self.idle(connections, users, true).await?);
        reports.push(if tiny {
            self.history(100, 2, 20.0).await?
        } else {
            self.history(5_000, 8, 500.0).await?
        });
        reports.push(if tiny {
            self.catchup(5, 20).await?
        } else {
            self.catchup(200, 100).await?
        });
        print_ratios(&reports);
        let empty: Vec<String> = reports
            .iter()
            .filter(|r| r.result <= 0.0 || (tiny && r.errors > 0))
            .map(|r| format!("{} ({}): result {} errors {}", r.scenario, r.target, r.result, r.errors))
            .collect();
        if !empty.is_empty() {
            bail!("scenarios without results or with errors: {}", empty.join("; "));
        }
        Ok(reports)
    }
}

fn print(report: Report) -> Report {
    println!(
        "\n== {} ({}) {}\n   {:.1} {}   sent {}   errors {}   {:.1} s",
        report.scenario,
        report.target,
        report.params,
        report.result,
        report.unit,
        report.sent,
        report.errors,
        report.duration_s
    );
    if let Some(ack) = &report.ack {
        println!("   send→ack        {ack}");
    }
    if let Some(delivered) = &report.delivered {
        println!("   send→delivered  {delivered}");
    }
    if !report.extra.is_null() {
        println!("   {}", report.extra);
    }
    println!(
        "   server: {:.2} cores, {:.1} MiB RSS   generator: {:.2} cores",
        report.server.cpu_cores, report.server.rss_mib, report.generator.cpu_cores
    );
    report
}

/// Hybrid's results over the references' (1.0 = as good as the ceiling).
fn print_ratios(reports: &[Report]) {
    let find = |scenario: &str, target: &str, key: Option<(&str, u64)>| {
        reports.iter().find(|r| {
            r.scenario == scenario && r.target == target && key.is_none_or(|(k, v)| r.params[k].as_u64() == Some(v))
        })
    };
    println!("\n== ratios to the references");
    if let (Some(h), Some(r)) = (find("direct", "hybrid", None), find("sqlite-insert", "reference", None)) {
        println!(
            "   direct: {:.3} of plain SQLite inserts ({:.0} vs {:.0} per s)",
            h.result / r.result,
            h.result,
            r.result
        );
    }
    for members in reports
        .iter()
        .filter(|r| r.scenario == "fanout" && r.target == "hybrid")
    {
        let m = members.params["members"].as_u64().unwrap_or(0);
        if let Some(r) = find("fanout", "reference", Some(("members", m))) {
            println!(
                "   fanout {m}: {:.3} of the broadcast server's deliveries/s ({:.0} vs {:.0})",
                members.result / r.result.max(1e-9),
                members.result,
                r.result
            );
        }
    }
    if let (Some(h), Some(r)) = (find("idle", "hybrid", None), find("idle", "reference", None)) {
        println!(
            "   idle: {:.1} KiB per socket vs {:.1} KiB ({:.2}×)",
            h.result,
            r.result,
            h.result / r.result.max(1e-9)
        );
    }
}
