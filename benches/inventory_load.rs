//! Load generator for `benches/inventory.sh`: posts the GLPI Agent fixture to a running
//! Parc as the agent does (zlib JSON with GLPI-Agent-ID), `--count` submissions with
//! `--concurrency` in flight. Submission `i` is computer `<prefix>-<i>` (own name, serial,
//! UUID and deviceid), so a first run creates `count` computers and a second run with the
//! same prefix re-imports them unchanged. Prints one JSON line of figures.
//!
//! cargo bench --bench inventory_load -- --url http://127.0.0.1:8080/ --count 400 --concurrency 8 --prefix run1

use futures_util::StreamExt;
use parc::web::agent::decode::{compress, Encoding};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

struct Args {
    url: String,
    count: usize,
    concurrency: usize,
    prefix: String,
    tag: String,
    label: String,
}

fn parse_args() -> Args {
    let mut a = Args {
        url: String::new(),
        count: 100,
        concurrency: 8,
        prefix: "bench".into(),
        tag: String::new(),
        label: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_default();
        match k.as_str() {
            "--url" => a.url = v(),
            "--count" => a.count = v().parse().expect("--count N"),
            "--concurrency" => a.concurrency = v().parse().expect("--concurrency N"),
            "--prefix" => a.prefix = v(),
            "--tag" => a.tag = v(),
            "--label" => a.label = v(),
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(!a.url.is_empty(), "--url is required");
    a
}

fn bodies(a: &Args) -> Vec<Vec<u8>> {
    let path = format!("{}/tests/fixtures/inventory/glpi-agent-inventory.json", env!("CARGO_MANIFEST_DIR"));
    let base: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json");
    (0..a.count)
        .map(|i| {
            let mut doc = base.clone();
            let name = format!("{}-{i:05}", a.prefix);
            doc["deviceid"] = json!(format!("{name}-2026-11-28-16-45-04"));
            doc["content"]["hardware"]["name"] = json!(name);
            doc["content"]["hardware"]["uuid"] = json!(format!("{:08x}-0000-4000-8000-{:012x}", i, a.prefix.len()));
            doc["content"]["bios"]["ssn"] = json!(format!("SN{}{i:06}", a.prefix.to_uppercase()));
            if !a.tag.is_empty() {
                doc["tag"] = json!(a.tag);
            }
            compress(Encoding::Zlib, doc.to_string().as_bytes())
        })
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = parse_args();
    let bodies = bodies(&a);
    // reqwest is built without a default TLS provider (see Cargo.toml); plain HTTP still needs one set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().pool_max_idle_per_host(a.concurrency).build().expect("client");
    let started = Instant::now();
    let results: Vec<(bool, Duration)> = futures_util::stream::iter(bodies)
        .map(|body| {
            let req = client
                .post(&a.url)
                .header("Content-Type", "application/x-compress-zlib")
                .header("GLPI-Agent-ID", "0fe7e85a-eb4b-11f1-a94a-799c64a740fd")
                .body(body);
            async move {
                let t = Instant::now();
                let ok = match req.send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                (ok, t.elapsed())
            }
        })
        .buffer_unordered(a.concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let ok = results.iter().filter(|(ok, _)| *ok).count();
    let mut lat: Vec<f64> = results.iter().map(|(_, d)| d.as_secs_f64() * 1000.0).collect();
    lat.sort_by(f64::total_cmp);
    let pct =
        |p: f64| lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(0.0);
    println!(
        "{}",
        json!({
            "label": a.label,
            "submissions": a.count,
            "ok": ok,
            "errors": a.count - ok,
            "concurrency": a.concurrency,
            "seconds": (elapsed * 1000.0).round() / 1000.0,
            "per_second": ((ok as f64 / elapsed) * 10.0).round() / 10.0,
            "p50_ms": pct(0.50).round(),
            "p95_ms": pct(0.95).round(),
        })
    );
    if ok != a.count {
        std::process::exit(1);
    }
}
