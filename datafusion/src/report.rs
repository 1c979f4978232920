//! [`ScanReport`]: what one scan of a plateau table pruned, for `EXPLAIN`.

use std::fmt;

/// What one scan of a [`crate::PlateauTable`] read and what ruled the rest out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanReport {
    /// The dataset.
    pub uuid: String,
    /// Partitions the dataset has.
    pub partitions: usize,
    /// Partitions left after plateau's planning (partition keys and secondary indices).
    pub planned: usize,
    /// Files the scan reads, after DataFusion evaluated the partition-key filters on the
    /// partition values.
    pub read: usize,
    /// The plateau predicates planning used (JSON), `None` when no filter converted.
    pub predicates: Option<String>,
    /// Filters decided by the partition keys alone (answered exactly by the scan).
    pub partition_filters: Vec<String>,
    /// Other filters (with their columns): they prune row groups, pages and rows in the
    /// Parquet scan, and DataFusion applies them to the rows.
    pub other_filters: Vec<String>,
}

impl fmt::Display for ScanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "plateau scan of `{}`: {} of {} partitions read ({} pruned by partition keys and \
             indices, {} by partition-key filters)",
            self.uuid,
            self.read,
            self.partitions,
            self.partitions - self.planned.min(self.partitions),
            self.planned - self.read.min(self.planned),
        )?;
        match &self.predicates {
            Some(predicates) => writeln!(f, "  plateau predicates: {predicates}")?,
            None => writeln!(f, "  plateau predicates: none (every partition planned)")?,
        }
        for filter in &self.partition_filters {
            writeln!(f, "  partition-key filter (exact): {filter}")?;
        }
        for filter in &self.other_filters {
            writeln!(f, "  row filter (Parquet pruning, then rows): {filter}")?;
        }
        Ok(())
    }
}
