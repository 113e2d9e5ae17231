//! `sinew datanet`: create, contribute files or folders, review, publish, and inspect datanets.

use crate::keys;
use crate::send::send;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sinew_datanet::{discover, FormatOptions};
use sinew_sdk::{Client, ContributionFilter, Page, RecordPage};
use sinew_types::datanet::{CurationPolicy, DatanetInfo, DatanetRules, Format};
use sinew_types::event::DatanetEvent;
use sinew_types::payload::{Contribute, CreateDatanet, PublishVersion, Review};
use sinew_types::records::{Contribution, Datanet, DatanetVersion};
use sinew_types::Payload;
use std::path::{Path, PathBuf};

/// What `sinew datanet show` prints: the datanet, its versions and contributions.
#[derive(Serialize)]
struct DatanetShown {
    datanet: Datanet,
    versions: Vec<DatanetVersion>,
    contributions: Vec<Contribution>,
}

/// Datanet commands.
#[derive(Subcommand)]
pub enum DatanetCmd {
    /// Create a datanet owned by `--from`.
    Create(CreateArgs),
    /// Contribute files (or every supported file under folders) to a datanet.
    Contribute(ContributeArgs),
    /// Approve or reject a pending contribution.
    Review(ReviewArgs),
    /// Publish a new version over every approved contribution.
    Publish {
        /// Owner key.
        #[arg(long)]
        from: String,
        /// Datanet id.
        #[arg(long)]
        datanet: u64,
    },
    /// Show a datanet, its versions and contributions.
    Show {
        /// Datanet id.
        id: u64,
    },
    /// List datanets.
    List,
    /// Print records with their provenance.
    Records {
        /// Datanet id.
        id: u64,
        /// Only this contribution.
        #[arg(long, conflicts_with = "version")]
        contribution: Option<u64>,
        /// Only this published version's records, in its index's order.
        #[arg(long)]
        version: Option<u64>,
        /// Skip this many records.
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

/// Who curates a datanet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Policy {
    /// Every contribution enters.
    Open,
    /// The owner approves or rejects each contribution.
    Owner,
    /// Staked reviewers vote.
    Staked,
}

/// Arguments of `sinew datanet create`.
#[derive(Args)]
pub struct CreateArgs {
    /// Owner key.
    #[arg(long)]
    from: String,
    /// Name.
    #[arg(long)]
    name: String,
    /// Description.
    #[arg(long, default_value = "")]
    description: String,
    /// SPDX license expression (e.g. CC-BY-4.0, MIT OR Apache-2.0).
    #[arg(long)]
    license: String,
    /// Tags (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// Who decides which contributions enter (staked: with --quorum and --min-stake).
    #[arg(long, value_enum, default_value_t = Policy::Owner)]
    policy: Policy,
    /// Votes that decide (staked policy).
    #[arg(long, default_value_t = 1)]
    quorum: u32,
    /// Stake a reviewer needs (staked policy).
    #[arg(long, default_value_t = 0)]
    min_stake: u128,
    /// Bond locked per contribution.
    #[arg(long, default_value_t = 0)]
    bond: u128,
    /// Share of the bond slashed on rejection, in basis points.
    #[arg(long, default_value_t = 0)]
    slash_bps: u16,
    /// Publish fee per byte of new data.
    #[arg(long, default_value_t = 0)]
    publish_fee_per_byte: u128,
    /// Refuse near-duplicates instead of flagging them.
    #[arg(long)]
    refuse_near_duplicates: bool,
}

/// Arguments of `sinew datanet contribute`.
#[derive(Args)]
pub struct ContributeArgs {
    /// Contributor key.
    #[arg(long)]
    from: String,
    /// Datanet id.
    #[arg(long)]
    datanet: u64,
    /// Files or folders (.txt, .md, .jsonl, .csv, .pdf).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// JSON lines: the field holding the text.
    #[arg(long, default_value = "text")]
    field: String,
    /// CSV: the columns to take (comma-separated).
    #[arg(long, default_value = "text")]
    columns: String,
    /// Text, Markdown and PDF: the largest record in bytes.
    #[arg(long, default_value_t = 4096)]
    max_record_bytes: u32,
}

/// Arguments of `sinew datanet review`.
#[derive(Args)]
pub struct ReviewArgs {
    /// Reviewer key.
    #[arg(long)]
    from: String,
    /// Datanet id.
    #[arg(long)]
    datanet: u64,
    /// Contribution number.
    #[arg(long)]
    contribution: u64,
    /// Approve.
    #[arg(long, conflicts_with = "reject")]
    approve: bool,
    /// Reject (give --reason).
    #[arg(long)]
    reject: bool,
    /// Why.
    #[arg(long, default_value = "")]
    reason: String,
}

/// Runs a datanet command.
pub fn run(cmd: DatanetCmd, url: &str, dir: &Path) -> Result<()> {
    let c = Client::new(url);
    match cmd {
        DatanetCmd::Create(a) => {
            let curation = match a.policy {
                Policy::Open => CurationPolicy::Open,
                Policy::Owner => CurationPolicy::OwnerCurated,
                Policy::Staked => CurationPolicy::StakedReviewers {
                    quorum: a.quorum,
                    min_stake: a.min_stake,
                },
            };
            let key = keys::load(dir, &a.from)?;
            let payload: Payload = CreateDatanet {
                info: DatanetInfo {
                    name: a.name,
                    description: a.description,
                    license: a.license,
                    tags: a.tags,
                },
                rules: DatanetRules {
                    curation,
                    contribution_bond: a.bond,
                    reject_slash_bps: a.slash_bps,
                    publish_fee_per_byte: a.publish_fee_per_byte,
                    refuse_near_duplicates: a.refuse_near_duplicates,
                },
            }
            .into();
            let r = send(&c, &key, payload)?;
            for e in &r.receipt.events {
                if let sinew_types::Event::Datanet(DatanetEvent::DatanetCreated { datanet, .. }) = e {
                    println!("created datanet {datanet}");
                }
            }
        }
        DatanetCmd::Contribute(a) => contribute(&c, dir, a)?,
        DatanetCmd::Review(a) => {
            if a.approve == a.reject {
                bail!("say --approve or --reject");
            }
            let key = keys::load(dir, &a.from)?;
            let payload: Payload = Review {
                datanet: a.datanet,
                contribution: a.contribution,
                approve: a.approve,
                reason: a.reason,
            }
            .into();
            send(&c, &key, payload)?;
            println!("reviewed contribution {} of datanet {}", a.contribution, a.datanet);
        }
        DatanetCmd::Publish { from, datanet } => {
            let key = keys::load(dir, &from)?;
            let r = send(&c, &key, PublishVersion { datanet }.into())?;
            for e in &r.receipt.events {
                if let sinew_types::Event::Datanet(DatanetEvent::VersionPublished { version, root, .. }) = e {
                    println!("published version {version} of datanet {datanet}: root {root}");
                }
            }
        }
        DatanetCmd::Show { id } => {
            let d = c.datanet(id)?;
            let cs = c.datanet_contributions(id, &ContributionFilter::default())?;
            let shown = DatanetShown {
                datanet: d.datanet,
                versions: d.versions,
                contributions: cs.contributions,
            };
            println!("{}", serde_json::to_string_pretty(&shown)?);
        }
        DatanetCmd::List => {
            for d in c.datanets(&Page::default())?.datanets {
                println!(
                    "{:>4}  {:<24} {:<14} contributions {:>4}  approved {:>4}  versions {}",
                    d.id, d.info.name, d.info.license, d.contributions, d.approved, d.versions
                );
            }
        }
        DatanetCmd::Records {
            id,
            contribution,
            version,
            offset,
            limit,
        } => {
            let page = RecordPage {
                contribution,
                version,
                offset,
                limit: Some(limit),
            };
            for r in c.datanet_records(id, &page)?.records {
                println!(
                    "[contribution {} record {} bytes {}..{} of blob {}]",
                    r.contribution, r.index, r.start, r.end, r.blob
                );
                println!("{}\n", r.text);
            }
        }
    }
    Ok(())
}

/// How the contribute options cut files into records.
fn format_options(a: &ContributeArgs) -> FormatOptions {
    FormatOptions {
        max_record_bytes: a.max_record_bytes,
        field: a.field.clone(),
        columns: a.columns.split(',').map(|s| s.trim().to_string()).collect(),
    }
}

fn contribute(c: &Client, dir: &Path, a: ContributeArgs) -> Result<()> {
    let key = keys::load(dir, &a.from)?;
    let files = discover(&a.paths, &format_options(&a))?;
    let total: u64 = files
        .iter()
        .map(|(p, _)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:30} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
            .expect("valid template"),
    );
    // Ingest everything first: a bad file stops the whole contribution before anything is stored.
    // A PDF's text is extracted here, on the contributor's machine, and contributed as text (the
    // ledger never runs a PDF extractor: it has no bound a validator could agree on).
    let mut prepared = Vec::new();
    for (path, format) in &files {
        bar.set_message(format!(
            "checking {}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("")
        ));
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        // Only extracted PDF text is kept in memory; files are streamed again for the upload.
        let (text, format, note) = match format {
            Format::Pdf { max_record_bytes } => {
                let text = sinew_datanet::pdf_text(&bytes, &path.display().to_string())?;
                let note = format!(" (text of PDF {})", sinew_types::Hash::of(&bytes));
                (
                    Some(text.into_bytes()),
                    Format::Text {
                        max_record_bytes: *max_record_bytes,
                    },
                    note,
                )
            }
            f => (None, f.clone(), String::new()),
        };
        let ingested =
            sinew_datanet::ingest_blob(text.as_deref().unwrap_or(&bytes), &format, &path.display().to_string())?;
        bar.inc(ingested.size / 2);
        prepared.push((path, format, text, note, ingested));
    }
    for (path, format, text, note, ingested) in prepared {
        bar.set_message(format!(
            "uploading {}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("")
        ));
        let sinew_sdk::answers::BlobStored { blob, size } = match text {
            Some(t) => c.upload_blob(bar.wrap_read(std::io::Cursor::new(t)), Some(ingested.size))?,
            None => c.upload_blob(bar.wrap_read(std::fs::File::open(path)?), Some(ingested.size))?,
        };
        bar.set_position(bar.position().saturating_sub(ingested.size / 2));
        let name: String = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        let payload: Payload = Contribute {
            datanet: a.datanet,
            blob,
            size,
            format: format.clone(),
            record_count: ingested.records.len() as u32,
            records_root: sinew_datanet::records_root(&ingested.records),
            metadata: format!("{name}{note}"),
        }
        .into();
        let r = bar
            .suspend(|| send(c, &key, payload))
            .with_context(|| format!("contributing {}", path.display()))?;
        for e in &r.receipt.events {
            if let sinew_types::Event::Datanet(DatanetEvent::Contributed {
                contribution,
                records,
                near_duplicates,
                ..
            }) = e
            {
                bar.suspend(|| {
                    println!(
                        "{}: contribution {contribution}, {records} records, {near_duplicates} near-duplicates flagged",
                        path.display()
                    )
                });
            }
        }
    }
    bar.finish_and_clear();
    Ok(())
}
