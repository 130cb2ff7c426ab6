//! Writing a metric family whose samples are known at scrape time (the engine's snapshot,
//! the process's figures), for the collectors.

use std::fmt;

use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::TypedMetric;

/// A family: its description, then one sample per label set, each value made a metric by
/// `metric` (`ConstGauge::new`, `ConstCounter::new`: a counter is named without `_total`,
/// which the encoder adds). With no samples the family is described all the same, so that
/// dashboards find it.
pub fn family<L: EncodeLabelSet, V, M: EncodeMetric + TypedMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric: fn(V) -> M,
    samples: impl IntoIterator<Item = (L, V)>,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, M::TYPE)?;
    for (labels, value) in samples {
        metric(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// A figure read from each item: a family name's end, its help, how to read it.
pub type Figure<'a, T, V> = (&'a str, &'a str, fn(&T) -> V);

/// One family per figure, named `prefix` + the figure's name, with a sample per item.
pub fn families<'i, T, L: EncodeLabelSet, V, M: EncodeMetric + TypedMetric>(
    encoder: &mut DescriptorEncoder,
    prefix: &str,
    metric: fn(V) -> M,
    figures: &[Figure<T, V>],
    items: &'i [T],
    labels: impl Fn(&'i T) -> L,
) -> fmt::Result {
    for (name, help, value) in figures {
        let samples = items.iter().map(|item| (labels(item), value(item)));
        family(encoder, &format!("{prefix}{name}"), help, metric, samples)?;
    }
    Ok(())
}
