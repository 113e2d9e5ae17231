//! The demo's datanet part: a curated dataset from the shipped sample corpus, two contributors, a
//! review, a refused duplicate, a flagged near-duplicate, a published version, and an answer
//! attributed to it.

use super::samples::{contribute_sample, SAMPLES};
use super::say::{committed, step};
use anyhow::{Context, Result};
use sinew_sdk::{Client, RecordPage};
use sinew_types::amount::TOKEN;
use sinew_types::api::requests::AttributeRequest;
use sinew_types::datanet::{CurationPolicy, DatanetInfo, DatanetRules};
use sinew_types::event::DatanetEvent;
use sinew_types::payload::{CreateDatanet, PublishVersion, Review};
use sinew_types::{Event, Keypair};

/// Datanets: a curated dataset from the shipped sample corpus, two contributors, a review, a
/// refused duplicate, a flagged near-duplicate, and a published version.
pub fn run(c: &Client, keys: &[Keypair]) -> Result<u64> {
    step("6. a datanet: contributions with bonds, review, duplicates, a published version");
    let (owner, alice, bob) = (&keys[0], &keys[1], &keys[2 % keys.len()]);
    let created = committed(
        c,
        owner,
        CreateDatanet {
            info: DatanetInfo {
                name: "rivers-and-lakes".into(),
                description: "Plain-language notes on rivers and lakes (sample corpus)".into(),
                license: "Apache-2.0".into(),
                tags: vec!["geography".into(), "sample".into()],
            },
            rules: DatanetRules {
                curation: CurationPolicy::OwnerCurated,
                contribution_bond: 10 * TOKEN,
                reject_slash_bps: 5_000,
                publish_fee_per_byte: TOKEN / 1_000_000,
                refuse_near_duplicates: false,
            },
        }
        .into(),
    )?;
    let id = created
        .receipt
        .events
        .iter()
        .find_map(|e| {
            if let Event::Datanet(DatanetEvent::DatanetCreated { datanet, .. }) = e {
                Some(*datanet)
            } else {
                None
            }
        })
        .context("no datanet event")?;
    println!("dev0 created datanet {id} (owner-curated, 10-token bond per contribution, half slashed on rejection)");
    let (rivers, _) = contribute_sample(c, alice, id, SAMPLES[0].0, SAMPLES[0].1)?;
    let (lakes, _) = contribute_sample(c, bob, id, SAMPLES[1].0, SAMPLES[1].1)?;
    let (glossary, _) = contribute_sample(c, bob, id, SAMPLES[2].0, SAMPLES[2].1)?;
    // The same file again is refused before anything changes.
    let again = contribute_sample(c, bob, id, SAMPLES[0].0, SAMPLES[0].1).unwrap_err();
    println!("rivers.md again from dev2: refused: {again}");
    // A lightly edited copy of one paragraph is flagged for the reviewer.
    let copy = "Most rivers begin as many small streams in high ground. Rain and melting snow gather in rills, rills join into brooks, and brooks join into a channel that is wide enough to carry boats.";
    let (copied, flagged) = contribute_sample(c, bob, id, "copied.txt", copy)?;
    println!("copied.txt: {flagged} record flagged as a near-duplicate of an existing one");
    for (seq, approve, reason) in [
        (rivers, true, ""),
        (lakes, true, ""),
        (glossary, true, ""),
        (copied, false, "near-duplicate of rivers.md"),
    ] {
        committed(
            c,
            owner,
            Review {
                datanet: id,
                contribution: seq,
                approve,
                reason: reason.into(),
            }
            .into(),
        )?;
    }
    println!("dev0 approved 3 contributions (bonds returned) and rejected the copy (half its bond slashed)");
    committed(c, owner, PublishVersion { datanet: id }.into())?;
    let d = c.datanet(id)?;
    let v = d.versions.first().context("no version")?;
    println!(
        "published version {}: {} contributions, {} records, {} bytes, root {}",
        v.version, v.contributions, v.records, v.bytes, v.root
    );
    let page = RecordPage {
        contribution: Some(lakes),
        version: None,
        offset: 0,
        limit: Some(1),
    };
    let rec = c
        .datanet_records(id, &page)?
        .records
        .into_iter()
        .next()
        .context("no record")?;
    let answer = "Ask anyone: most rivers begin as many small streams in high ground, and a reservoir forms behind a dam and is managed for drinking water, irrigation or power.";
    let req = AttributeRequest {
        text: answer.into(),
        ..AttributeRequest::default()
    };
    let r = c.attribute_to_version(id, 1, &req)?;
    println!("attributing an answer to version 1: {answer:?}");
    for s in &r.spans {
        let (o, l) = (s.answer_offset as usize, s.len as usize);
        println!(
            "  span {:?} found in contribution {} record {}",
            &answer[o..o + l],
            s.contribution,
            s.record
        );
    }
    for (contribution, ppm) in &r.weights {
        println!(
            "  contribution {contribution} earns {:.2}% of the contributors' share",
            f64::from(*ppm) / 10_000.0
        );
    }
    println!(
        "a record with its provenance: contribution {} record {} = bytes {}..{} of blob {}:\n  {}",
        rec.contribution, rec.index, rec.start, rec.end, rec.blob, rec.text
    );
    Ok(id)
}
