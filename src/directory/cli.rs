//! `parc directory sync FILE…`: reads the files, applies them, prints the summary. A
//! progress bar shows on a terminal for long runs.

use super::sync::{self, Format, Input, Report};
use crate::db::DbConn;
use crate::itemtypes::store::Actor;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

/// Files with more entries than this get a progress bar.
const BAR_FROM: usize = 200;

pub fn sync(conn: &mut DbConn, files: &[PathBuf], dry_run: bool, verbose: bool) -> anyhow::Result<()> {
    let mut inputs = Vec::with_capacity(files.len());
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?;
        inputs.push(Input { name: f.display().to_string(), bytes, format: Format::Auto });
    }
    let started = std::time::Instant::now();
    let mut bar: Option<(String, ProgressBar)> = None;
    let mut progress = |file: &str, done: usize, total: usize| {
        if total < BAR_FROM {
            return;
        }
        if bar.as_ref().is_none_or(|(f, _)| f != file) {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {elapsed}")
                    .expect("static template")
                    .progress_chars("=> "),
            );
            b.set_message(short(file));
            if let Some((_, old)) = bar.replace((file.to_string(), b)) {
                old.finish_and_clear();
            }
        }
        if let Some((_, b)) = &bar {
            b.set_position(done as u64);
        }
    };
    let actor = Actor { users_id: 0, login: "directory-sync".into() };
    let report = sync::run(conn, inputs, dry_run, &actor, &mut progress);
    if let Some((_, b)) = bar {
        b.finish_and_clear();
    }
    print(&report, verbose || dry_run);
    println!("took {:.2} s", started.elapsed().as_secs_f64());
    if report.failed() {
        anyhow::bail!("some files were not applied (see above); they changed nothing");
    }
    Ok(())
}

fn short(path: &str) -> String {
    std::path::Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn print(report: &Report, changes: bool) {
    if report.dry_run {
        println!("dry run: nothing was written");
    }
    for f in &report.files {
        match &f.error {
            Some(e) => println!("{} ({}): REFUSED, {e}", f.file, f.kind),
            None => println!(
                "{} ({}): {} added, {} updated, {} closed, {} left, {} unchanged, {} rejected",
                f.file,
                f.kind,
                f.added,
                f.updated,
                f.closed,
                f.left,
                f.unchanged,
                f.rejected.len()
            ),
        }
        if changes {
            for c in &f.changes {
                println!("  {c}");
            }
        }
        for r in &f.rejected {
            println!("  rejected {}: {}", r.at, r.reason);
        }
    }
    let [a, u, c, l, n, r] = report.totals();
    println!("total: {a} added, {u} updated, {c} closed, {l} left, {n} unchanged, {r} rejected");
}
