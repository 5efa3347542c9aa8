//! The deploy files stay true to the binary. No Docker engine or cluster runs here, so this
//! reads them: every service they run exists (`hybrid services`), every `HYBRID_*` variable
//! they set is a real config key (`hybrid config`), every process has the peers and gRPC
//! address its services need, every host nginx, Prometheus and the peers point at is a process
//! running the right service, and every metric the dashboard and alerts query is one Hybrid
//! records.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use crate::BIN;

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy").join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(deploy(path)).unwrap_or_else(|e| panic!("deploy/{path}: {e}"))
}

fn yaml_documents(path: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(&read(path)).unwrap_or_else(|e| panic!("deploy/{path}: {e}"))
}

/// Runs the binary with a clean environment; returns its standard output.
fn hybrid(args: &[&str]) -> String {
    let output = std::process::Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("the hybrid binary runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// What the binary knows: its services with the services each calls, and the environment
/// variable of every config key.
struct Binary {
    services: BTreeSet<String>,
    calls: BTreeMap<String, Vec<String>>,
    variables: BTreeSet<String>,
}

impl Binary {
    fn read() -> Binary {
        // `NAME CALLS DESCRIPTION`, CALLS comma-separated or `-`
        let calls: BTreeMap<String, Vec<String>> = hybrid(&["services"])
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let (name, calls) = (words.next()?, words.next()?);
                let calls = calls.split(',').filter(|c| *c != "-").map(str::to_owned).collect();
                Some((name.to_owned(), calls))
            })
            .collect();
        let config: toml::Table = hybrid(&["config"]).parse().expect("`hybrid config` prints TOML");
        let mut variables = BTreeSet::new();
        for (key, value) in &config {
            match value {
                toml::Value::Table(section) => {
                    for field in section.keys() {
                        variables.insert(format!("HYBRID_{}__{}", key.to_uppercase(), field.to_uppercase()));
                    }
                }
                _ => {
                    variables.insert(format!("HYBRID_{}", key.to_uppercase()));
                }
            }
        }
        // `peers` is a map by service name, empty by default
        for service in calls.keys() {
            variables.insert(format!("HYBRID_PEERS__{}", service.to_uppercase()));
        }
        Binary {
            services: calls.keys().cloned().collect(),
            calls,
            variables,
        }
    }

    /// Checks one process's environment; `name` says where it is.
    fn check_process(&self, name: &str, env: &BTreeMap<String, String>) {
        for key in env.keys().filter(|k| k.starts_with("HYBRID_")) {
            assert!(self.variables.contains(key), "{name}: {key} is not a config key");
        }
        let Some(spec) = env.get("HYBRID_SERVICES") else {
            return;
        };
        let local: Vec<&str> = if spec == "all" {
            self.services.iter().map(String::as_str).collect()
        } else {
            spec.split(',').map(str::trim).collect()
        };
        for service in &local {
            assert!(
                self.services.contains(*service),
                "{name}: no service `{service}` in the binary"
            );
        }
        let needed: BTreeSet<&str> = local.iter().flat_map(|s| &self.calls[*s]).map(String::as_str).collect();
        for need in needed.into_iter().filter(|n| !local.contains(n)) {
            let key = format!("HYBRID_PEERS__{}", need.to_uppercase());
            assert!(env.contains_key(&key), "{name} runs {spec} and needs {key}");
        }
        let split = env.contains_key("HYBRID_GRPC__LISTEN") || env.keys().any(|k| k.starts_with("HYBRID_PEERS__"));
        assert!(
            !split || env.contains_key("HYBRID_SECRETS__MASTER_KEY"),
            "{name} is one of several processes: it needs HYBRID_SECRETS__MASTER_KEY, the same in each \
             (their gRPC calls carry a credential derived from it)"
        );
        let called = |service: &&str| self.calls.values().flatten().any(|c| c == service);
        if local.iter().any(called) && spec != "all" {
            assert!(
                env.contains_key("HYBRID_GRPC__LISTEN"),
                "{name} runs {spec}, which others call: it needs HYBRID_GRPC__LISTEN"
            );
        }
    }
}

/// Keys of a YAML mapping, with `<<` merge keys (which compose uses) folded in.
fn mapping(yaml: &Yaml) -> BTreeMap<String, Yaml> {
    let mut out = BTreeMap::new();
    let Some(hash) = yaml.as_hash() else {
        return out;
    };
    if let Some(merged) = hash.get(&Yaml::String("<<".into())) {
        let sources = match merged {
            Yaml::Array(list) => list.clone(),
            other => vec![other.clone()],
        };
        for source in &sources {
            out.extend(mapping(source));
        }
    }
    for (key, value) in hash {
        if let Some(key) = key.as_str().filter(|k| *k != "<<") {
            out.insert(key.to_owned(), value.clone());
        }
    }
    out
}

fn scalar(yaml: &Yaml) -> String {
    match yaml {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// `http://host:port` → host.
fn host_of(url: &str) -> &str {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.split([':', '/']).next().unwrap()
}

/// The services each upstream of deploy/nginx/upstreams.conf serves, with its server hosts.
fn nginx_upstreams() -> BTreeMap<String, Vec<String>> {
    let mut upstreams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for line in read("nginx/upstreams.conf").lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("upstream ") {
            let service = name
                .trim_end_matches('{')
                .trim()
                .trim_start_matches("hybrid_")
                .to_owned();
            current = Some(service.clone());
            upstreams.entry(service).or_default();
        } else if let (Some(server), Some(service)) = (line.strip_prefix("server "), &current) {
            let host = server.split(':').next().unwrap().to_owned();
            upstreams.get_mut(service).unwrap().push(host);
        }
    }
    upstreams
}

/// The services a process runs.
fn runs(env: &BTreeMap<String, String>, all: &BTreeSet<String>) -> BTreeSet<String> {
    match env.get("HYBRID_SERVICES").map(String::as_str) {
        None | Some("all") => all.clone(),
        Some(spec) => spec.split(',').map(|s| s.trim().to_owned()).collect(),
    }
}

#[test]
fn compose_runs_what_the_binary_has() {
    let binary = Binary::read();
    let compose = &yaml_documents("compose.yaml")[0];
    let services = mapping(&mapping(compose)["services"]);
    let mut hybrid_processes: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (name, service) in &services {
        let service = mapping(service);
        let env: BTreeMap<String, String> = service
            .get("environment")
            .map(|e| mapping(e).into_iter().map(|(k, v)| (k, scalar(&v))).collect())
            .unwrap_or_default();
        binary.check_process(&format!("compose service {name}"), &env);
        if env.contains_key("HYBRID_SERVICES") {
            // only the gateway is published: gRPC and metrics stay on the compose network
            assert!(
                !service.contains_key("ports"),
                "compose service {name} publishes ports; reach it through the gateway"
            );
            hybrid_processes.insert(name.clone(), env);
        }
    }
    assert!(hybrid_processes.len() >= 5, "{hybrid_processes:?}");
    let composed: BTreeSet<String> = hybrid_processes
        .values()
        .flat_map(|env| runs(env, &binary.services))
        .collect();
    assert_eq!(
        composed, binary.services,
        "every service runs in a process of deploy/compose.yaml: add one with \
         HYBRID_SERVICES=<name>, its peers and gRPC address, scraped in deploy/prometheus/prometheus.yml \
         (docs/adding-a-service.md, checklist 4)"
    );
    let serving = |host: &str, service: &str| {
        let env = hybrid_processes
            .get(host)
            .unwrap_or_else(|| panic!("`{host}` is no Hybrid process of compose.yaml"));
        assert!(
            runs(env, &binary.services).contains(service),
            "`{host}` does not run {service}"
        );
        env
    };
    // the peers each process calls are processes serving that service over gRPC
    for (name, env) in &hybrid_processes {
        for (key, url) in env.iter().filter(|(k, _)| k.starts_with("HYBRID_PEERS__")) {
            let service = key.trim_start_matches("HYBRID_PEERS__").to_lowercase();
            let peer = serving(host_of(url), &service);
            let port = peer["HYBRID_GRPC__LISTEN"].rsplit(':').next().unwrap();
            assert!(
                url.ends_with(&format!(":{port}")),
                "{name}: {key}={url}, but it listens on {port}"
            );
        }
    }
    // nginx sends each area to processes running its service
    let upstreams = nginx_upstreams();
    assert_eq!(
        upstreams.keys().cloned().collect::<BTreeSet<_>>(),
        binary.services,
        "one nginx upstream per service: add `upstream <name>` to deploy/nginx/upstreams.conf and \
         its paths to deploy/nginx/routes.conf (docs/adding-a-service.md, checklist 4)"
    );
    for (service, hosts) in &upstreams {
        for host in hosts {
            serving(host, service);
        }
    }
    // Prometheus scrapes every Hybrid process, and only those
    let prometheus = &yaml_documents("prometheus/prometheus.yml")[0];
    let mut scraped = BTreeSet::new();
    for job in mapping(prometheus)["scrape_configs"].as_vec().unwrap() {
        for config in mapping(job)["static_configs"].as_vec().unwrap() {
            for target in mapping(config)["targets"].as_vec().unwrap() {
                let (host, port) = target.as_str().unwrap().split_once(':').unwrap();
                if let Some(env) = hybrid_processes.get(host) {
                    let listen = env
                        .get("HYBRID_METRICS__LISTEN")
                        .map(String::as_str)
                        .unwrap_or_default();
                    assert!(
                        listen.ends_with(&format!(":{port}")) && !listen.starts_with("127."),
                        "Prometheus scrapes {host}:{port}, but its metrics listen on {listen:?}"
                    );
                }
                scraped.insert(host.to_owned());
            }
        }
    }
    scraped.remove("localhost");
    let processes: BTreeSet<String> = hybrid_processes.keys().cloned().collect();
    assert_eq!(scraped, processes, "Prometheus scrapes every Hybrid process");
}

#[test]
fn kubernetes_runs_what_the_binary_has() {
    let binary = Binary::read();
    let files: Vec<String> = std::fs::read_dir(deploy("k8s"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".yaml") && f != "kustomization.yaml")
        .collect();
    let kustomization = mapping(&yaml_documents("k8s/kustomization.yaml")[0]);
    let listed: BTreeSet<String> = kustomization["resources"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed,
        files.iter().cloned().collect(),
        "kustomization.yaml lists every manifest"
    );

    let objects: Vec<BTreeMap<String, Yaml>> = files
        .iter()
        .flat_map(|f| yaml_documents(&format!("k8s/{f}")))
        .map(|doc| mapping(&doc))
        .filter(|doc| !doc.is_empty())
        .collect();
    let kind = |doc: &BTreeMap<String, Yaml>| doc["kind"].as_str().unwrap().to_owned();
    let name = |doc: &BTreeMap<String, Yaml>| mapping(&doc["metadata"])["name"].as_str().unwrap().to_owned();
    let config_maps: BTreeMap<String, BTreeMap<String, String>> = objects
        .iter()
        .filter(|d| kind(d) == "ConfigMap")
        .map(|d| {
            let data = d.get("data").map(mapping).unwrap_or_default();
            (name(d), data.into_iter().map(|(k, v)| (k, scalar(&v))).collect())
        })
        .collect();
    for (map, data) in &config_maps {
        binary.check_process(&format!("ConfigMap {map}"), data);
    }

    let mut deployments: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for deployment in objects.iter().filter(|d| kind(d) == "Deployment") {
        let pod = mapping(&mapping(&mapping(&deployment["spec"])["template"])["spec"]);
        for container in pod["containers"].as_vec().unwrap() {
            let container = mapping(container);
            let mut env = BTreeMap::new();
            for source in container.get("envFrom").and_then(Yaml::as_vec).into_iter().flatten() {
                if let Some(reference) = mapping(source).get("configMapRef") {
                    let map = mapping(reference)["name"].as_str().unwrap().to_owned();
                    env.extend(config_maps[&map].clone());
                }
            }
            for variable in container.get("env").and_then(Yaml::as_vec).into_iter().flatten() {
                let variable = mapping(variable);
                let value = variable.get("value").map(scalar).unwrap_or_default();
                env.insert(variable["name"].as_str().unwrap().to_owned(), value);
            }
            let where_ = format!("Deployment {}", name(deployment));
            binary.check_process(&where_, &env);
            if env.contains_key("HYBRID_SERVICES") {
                // Prometheus finds the metrics listener through the pod's annotation
                let template = mapping(&mapping(&deployment["spec"])["template"]);
                let annotations = mapping(&mapping(&template["metadata"])["annotations"]);
                let port = scalar(&annotations["prometheus.io/port"]);
                let listen = env.get("HYBRID_METRICS__LISTEN").cloned().unwrap_or_default();
                assert!(
                    listen.ends_with(&format!(":{port}")) && !listen.starts_with("127."),
                    "{where_}: prometheus.io/port is {port}, but metrics listen on {listen:?}"
                );
                let ports: Vec<(String, String)> = container["ports"]
                    .as_vec()
                    .unwrap()
                    .iter()
                    .map(|p| (scalar(&mapping(p)["name"]), scalar(&mapping(p)["containerPort"])))
                    .collect();
                assert!(ports.contains(&("metrics".into(), port.clone())), "{where_}: {ports:?}");
            }
            for probe in ["livenessProbe", "readinessProbe"]
                .iter()
                .filter(|_| env.contains_key("HYBRID_SERVICES"))
            {
                let path = mapping(&mapping(&container[*probe])["httpGet"])["path"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let expected = if *probe == "livenessProbe" {
                    "/healthz"
                } else {
                    "/readyz"
                };
                assert_eq!(path, expected, "{where_} {probe}");
            }
            if env.contains_key("HYBRID_SERVICES") {
                deployments.insert(name(deployment), env);
            }
        }
    }
    let ran: BTreeSet<String> = deployments
        .values()
        .flat_map(|env| runs(env, &binary.services))
        .collect();
    assert_eq!(
        ran, binary.services,
        "every service has a Deployment: add deploy/k8s/<name>.yaml (deploy/k8s/users.yaml is a \
         small model) and list it in deploy/k8s/kustomization.yaml (docs/adding-a-service.md, checklist 4)"
    );
    // peers are Services in front of Deployments running the service, with the gRPC port
    let services: BTreeMap<String, BTreeMap<String, Yaml>> = objects
        .iter()
        .filter(|d| kind(d) == "Service")
        .map(|d| (name(d), d.clone()))
        .collect();
    for (deployment, env) in &deployments {
        for (key, url) in env.iter().filter(|(k, _)| k.starts_with("HYBRID_PEERS__")) {
            let wanted = key.trim_start_matches("HYBRID_PEERS__").to_lowercase();
            let host = host_of(url);
            let service = services
                .get(host)
                .unwrap_or_else(|| panic!("{deployment}: {key}={url} names no Service"));
            let ports: Vec<String> = mapping(&service["spec"])["ports"]
                .as_vec()
                .unwrap()
                .iter()
                .map(|p| scalar(&mapping(p)["port"]))
                .collect();
            let port = url.rsplit(':').next().unwrap();
            assert!(
                ports.iter().any(|p| p == port),
                "{deployment}: Service {host} has no port {port}"
            );
            let target = deployments
                .get(host)
                .unwrap_or_else(|| panic!("{deployment}: no Deployment behind Service {host}"));
            assert!(
                runs(target, &binary.services).contains(&wanted),
                "{host} does not run {wanted}"
            );
        }
    }
    let autoscaled: BTreeSet<String> = objects
        .iter()
        .filter(|d| kind(d) == "HorizontalPodAutoscaler")
        .map(|d| {
            mapping(&mapping(&d["spec"])["scaleTargetRef"])["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for scaled in ["realtime", "chats"] {
        assert!(autoscaled.contains(scaled), "{scaled} is autoscaled");
    }
    // nothing reaches a pod unless a policy lets it; the gRPC port only from Hybrid's pods
    let policies: Vec<BTreeMap<String, Yaml>> = objects
        .iter()
        .filter(|d| kind(d) == "NetworkPolicy")
        .map(|d| mapping(&d["spec"]))
        .collect();
    assert!(
        policies
            .iter()
            .any(|p| mapping(&p["podSelector"]).is_empty() && !p.contains_key("ingress")),
        "a default-deny NetworkPolicy for every pod"
    );
    let hybrid_pods = |selector: &Yaml| {
        mapping(&mapping(selector)["matchLabels"])
            .get("app.kubernetes.io/part-of")
            .map(scalar)
            .as_deref()
            == Some("hybrid")
    };
    let mut grpc_rules = 0;
    for policy in &policies {
        for rule in policy.get("ingress").and_then(Yaml::as_vec).into_iter().flatten() {
            let rule = mapping(rule);
            let ports: Vec<String> = rule["ports"]
                .as_vec()
                .unwrap()
                .iter()
                .map(|p| scalar(&mapping(p)["port"]))
                .collect();
            if !ports.iter().any(|p| p == "grpc" || p == "9090") {
                continue;
            }
            grpc_rules += 1;
            for from in rule["from"].as_vec().unwrap() {
                let from = mapping(from);
                assert!(
                    !from.contains_key("namespaceSelector") && from.get("podSelector").is_some_and(hybrid_pods),
                    "the gRPC port admits only Hybrid's pods: {from:?}"
                );
            }
        }
    }
    assert!(grpc_rules > 0, "a NetworkPolicy lets Hybrid's pods reach the gRPC port");
}

#[test]
fn the_image_sets_real_keys() {
    let binary = Binary::read();
    let dockerfile = read("Dockerfile");
    let mut env = BTreeMap::new();
    let mut in_env = false;
    for line in dockerfile.lines().map(str::trim) {
        in_env = in_env || line.starts_with("ENV ");
        if in_env {
            for pair in line.trim_start_matches("ENV ").split_whitespace() {
                if let Some((key, value)) = pair.split_once('=') {
                    env.insert(key.to_owned(), value.to_owned());
                }
            }
            in_env = line.ends_with('\\');
        }
    }
    assert!(
        env.contains_key("HYBRID_LISTEN"),
        "the image listens beyond loopback: {env:?}"
    );
    binary.check_process("Dockerfile", &env);
}

/// Metric names the code records (`metrics::counter!("…")` and the like).
fn recorded_metrics() -> BTreeSet<String> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut names = BTreeSet::new();
    let mut dirs = vec![crates];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (macro_, suffixes) in [
                    ("counter!(\"", &[""][..]),
                    ("gauge!(\"", &[""][..]),
                    ("histogram!(\"", &["_bucket", "_sum", "_count"][..]),
                ] {
                    for piece in text.split(macro_).skip(1) {
                        let name = piece.split('"').next().unwrap();
                        names.extend(suffixes.iter().map(|s| format!("{name}{s}")));
                    }
                }
            }
        }
    }
    names
}

/// Names in a PromQL expression that look like Hybrid's metrics (our prefixes).
fn queried_metrics(expr: &str) -> Vec<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| {
            [
                "http_",
                "realtime_",
                "store_",
                "chats_",
                "auth_",
                "users_",
                "hybrid_job",
                "stream_",
                "worker_",
            ]
            .iter()
            .any(|p| word.starts_with(p))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn dashboards_and_alerts_query_real_metrics() {
    let recorded = recorded_metrics();
    assert!(recorded.contains("http_requests_total"), "{recorded:?}");
    let dashboard: serde_json::Value = serde_json::from_str(&read("grafana/hybrid-dashboard.json")).unwrap();
    let mut exprs = Vec::new();
    let mut stack = vec![&dashboard];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(expr) = map.get("expr").and_then(|e| e.as_str()) {
                    exprs.push(expr.to_owned());
                }
                stack.extend(map.values());
            }
            serde_json::Value::Array(list) => stack.extend(list),
            _ => {}
        }
    }
    assert!(exprs.len() >= 5, "{exprs:?}");
    let alerts = &yaml_documents("prometheus/alerts.yml")[0];
    for group in mapping(alerts)["groups"].as_vec().unwrap() {
        for rule in mapping(group)["rules"].as_vec().unwrap() {
            exprs.push(scalar(&mapping(rule)["expr"]));
        }
    }
    for expr in &exprs {
        for metric in queried_metrics(expr) {
            assert!(
                recorded.contains(&metric),
                "`{metric}` in `{expr}` is not recorded by Hybrid"
            );
        }
    }
}

/// docs/security.md lists limits and settings an operator must set: each `section.key` it
/// names is one `hybrid config` has.
#[test]
fn the_security_docs_name_real_keys() {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/security.md")).unwrap();
    let config: toml::Table = hybrid(&["config"]).parse().unwrap();
    let is_key = |token: &str| {
        let Some((section, field)) = token.split_once('.') else {
            return false;
        };
        let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        let file = ["md", "yaml", "conf", "rs", "toml", "json", "key"].contains(&field);
        word(section) && word(field) && !file
    };
    let named: Vec<&str> = docs.split('`').skip(1).step_by(2).filter(|t| is_key(t)).collect();
    assert!(named.len() >= 30, "the limits table names the settings: {named:?}");
    for key in named {
        let (section, field) = key.split_once('.').unwrap();
        let known = config
            .get(section)
            .and_then(|s| s.as_table())
            .is_some_and(|s| s.contains_key(field));
        assert!(
            known,
            "docs/security.md names `{key}`, which is no setting (hybrid config)"
        );
    }
}

#[test]
fn the_configuration_docs_name_every_key() {
    let binary = Binary::read();
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md")).unwrap();
    let config: toml::Table = hybrid(&["config"]).parse().unwrap();
    for (key, value) in &config {
        let keys: Vec<String> = match value {
            toml::Value::Table(section) => section.keys().map(|field| format!("`{key}.{field}`")).collect(),
            _ => vec![format!("`{key}`")],
        };
        for documented in keys {
            assert!(
                docs.contains(&documented),
                "docs/configuration.md does not describe {documented}"
            );
        }
    }
    assert!(binary.variables.contains("HYBRID_PEERS__CHATS"));
}
