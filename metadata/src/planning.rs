//! Query planning: which partitions a predicate can match, decided from the metadata and the
//! indices alone (reference §4.3), and `dispatch_by` grouping.
//!
//! Per conjunction, every literal on an indexed column (partition key or secondary index)
//! narrows the candidate partitions (AND); the conjunctions' candidates are united (OR).
//! Literals on unindexed columns do not prune. An index never holds nulls, so a literal that
//! can match a null (`== null`, `!= v`, `is distinct from v`, `in (…, null)`, `not in (…)`)
//! never prunes through a secondary index — plateau does, and loses rows (reference §8.7).
//! Partition keys are never null, so their index decides every literal.
//!
//! Partitions come out in metadata order (plateau: "not guaranteed").

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

use plateau_core::naming;
use plateau_core::{Error, Literal, Op, Predicates, Result, Scalar, Store, Value};
use plateau_index::{literal_can_match_null, Index, KeyList, LabelSet};
use plateau_serialization::filter::EvalOptions;

use crate::dataset::DatasetMetadata;
use crate::load;

/// One unit of reading: partitions read together, and the literals their rows must also
/// satisfy (the `dispatch_by` values of the group, plateau's `logical_conjunction`).
#[derive(Clone, Debug, PartialEq)]
pub struct DispatchGroup {
    /// Labels of the partitions, in metadata order.
    pub labels: Vec<String>,
    /// `(column, ==, value)` for each `dispatch_by` column; empty without `dispatch_by`.
    pub conjunction: Vec<Literal>,
}

/// The index columns a plan needs: `dispatch_by` plus the predicate columns that are indexed.
pub fn index_columns_needed(
    metadata: &DatasetMetadata,
    predicates: Option<&Predicates>,
    dispatch_by: Option<&[String]>,
) -> Vec<String> {
    let indexed = metadata.index_columns();
    let mut needed: Vec<String> = Vec::new();
    for column in dispatch_by.unwrap_or_default() {
        if !needed.contains(column) {
            needed.push(column.clone());
        }
    }
    if let Some(predicates) = predicates {
        for column in predicates.columns() {
            if indexed.contains(&column) && !needed.iter().any(|c| c == column) {
                needed.push(column.to_owned());
            }
        }
    }
    needed
}

/// Loads the indices a plan needs, then plans.
pub fn plan_with_store(
    store: &Store,
    metadata: &mut DatasetMetadata,
    predicates: Option<&Predicates>,
    dispatch_by: Option<&[String]>,
) -> Result<Vec<DispatchGroup>> {
    validate(metadata, predicates, dispatch_by)?;
    for column in index_columns_needed(metadata, predicates, dispatch_by) {
        load::load_index(store, metadata, &column)?;
    }
    plan(metadata, predicates, dispatch_by)
}

fn validate(
    metadata: &DatasetMetadata,
    predicates: Option<&Predicates>,
    dispatch_by: Option<&[String]>,
) -> Result<()> {
    if let Some(predicates) = predicates {
        predicates.validate()?;
    }
    if let Some(dispatch_by) = dispatch_by {
        let indexed = metadata.index_columns();
        if dispatch_by.iter().any(|c| !indexed.contains(&c.as_str())) {
            return Err(Error::invalid_input(format!(
                "Dispatch columns must be indexed.\nRequested index: {dispatch_by:?} but available index columns: {indexed:?}"
            )));
        }
    }
    Ok(())
}

/// Plans a read: without `dispatch_by` one group per surviving partition; with it one group
/// per observed value combination of the `dispatch_by` columns, sorted ascending
/// (`dispatch_by = []`: one group of all partitions). The secondary indices that prune and
/// the `dispatch_by` indices must be loaded; partition keys without a loaded index prune from
/// the labels' values.
pub fn plan(
    metadata: &DatasetMetadata,
    predicates: Option<&Predicates>,
    dispatch_by: Option<&[String]>,
) -> Result<Vec<DispatchGroup>> {
    plan_with(metadata, &HashMap::new(), predicates, dispatch_by)
}

/// [`plan`] pruning through `decoded` before the metadata's own indices: indices decoded for
/// this plan only, such as partial ones ([`Index::from_parquet_matching`] for
/// [`pruning_literals`]). `dispatch_by` always uses the metadata's indices.
pub fn plan_with(
    metadata: &DatasetMetadata,
    decoded: &HashMap<String, Index>,
    predicates: Option<&Predicates>,
    dispatch_by: Option<&[String]>,
) -> Result<Vec<DispatchGroup>> {
    validate(metadata, predicates, dispatch_by)?;
    let surviving = prune_with(metadata, decoded, predicates)?;
    let labels: Vec<&String> = metadata.partitions.keys().collect();
    match dispatch_by {
        None => Ok(surviving
            .iter()
            .map(|id| DispatchGroup {
                labels: vec![labels[id as usize].clone()],
                conjunction: Vec::new(),
            })
            .collect()),
        Some([]) => Ok(if surviving.is_empty() {
            Vec::new()
        } else {
            vec![DispatchGroup {
                labels: surviving
                    .iter()
                    .map(|id| labels[id as usize].clone())
                    .collect(),
                conjunction: Vec::new(),
            }]
        }),
        Some(columns) => dispatch_groups(metadata, &surviving, columns),
    }
}

/// The literals on `column` that prune through its secondary index: every literal on it
/// that cannot match a null (see the module documentation). An index that answers these
/// literals as the full index does plans the same read.
pub fn pruning_literals<'a>(predicates: &'a Predicates, column: &str) -> Vec<(Op, &'a Value)> {
    predicates
        .conjunctions
        .iter()
        .flat_map(|c| &c.literals)
        .filter(|l| l.column == column && !literal_can_match_null(l.op, &l.value))
        .map(|l| (l.op, &l.value))
        .collect()
}

/// The partitions (ids = positions in `metadata.partitions`) that can match `predicates`.
pub fn prune(metadata: &DatasetMetadata, predicates: Option<&Predicates>) -> Result<LabelSet> {
    prune_with(metadata, &HashMap::new(), predicates)
}

/// [`prune`] through `decoded` before the metadata's own indices (see [`plan_with`]).
pub fn prune_with(
    metadata: &DatasetMetadata,
    decoded: &HashMap<String, Index>,
    predicates: Option<&Predicates>,
) -> Result<LabelSet> {
    let universe = partition_count(metadata)?;
    let Some(predicates) = predicates else {
        return Ok(LabelSet::full(universe));
    };
    let options = EvalOptions::default();
    let mut result = LabelSet::new(universe);
    let mut mappings: BTreeMap<&str, Vec<Option<u32>>> = BTreeMap::new();
    let mut key_values: BTreeMap<&str, KeyPartitions> = BTreeMap::new();
    for conjunction in &predicates.conjunctions {
        let mut candidates = LabelSet::full(universe);
        for literal in &conjunction.literals {
            let column = literal.column.as_str();
            if metadata.partition_keys.iter().any(|k| k == column)
                && !metadata.partition_indices.contains_key(column)
            {
                let keys = match key_values.entry(column) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => e.insert(KeyPartitions::of(metadata, column)?),
                };
                let mut narrowed = LabelSet::new(universe);
                for value in keys.values.select(literal.op, &literal.value, &options)? {
                    for position in keys.partitions_of(value) {
                        narrowed.insert(*position);
                    }
                }
                candidates.intersect_with(&narrowed);
                if candidates.is_empty() {
                    break;
                }
                continue;
            }
            let (index, is_partition_key) = match metadata.partition_indices.get(&literal.column) {
                Some(index) => (index, true),
                None => match decoded.get(&literal.column).or_else(|| {
                    metadata
                        .indices
                        .get(&literal.column)
                        .and_then(|e| e.index.as_ref())
                }) {
                    Some(index) => (index, false),
                    None => continue,
                },
            };
            if !is_partition_key && literal_can_match_null(literal.op, &literal.value) {
                continue;
            }
            let matched = index.eval(literal.op, &literal.value, &options)?;
            let mapping = mappings
                .entry(literal.column.as_str())
                .or_insert_with(|| dataset_ids(metadata, index));
            let mut narrowed = LabelSet::new(universe);
            for id in matched.iter() {
                if let Some(Some(dataset_id)) = mapping.get(id as usize) {
                    narrowed.insert(*dataset_id);
                }
            }
            candidates.intersect_with(&narrowed);
            if candidates.is_empty() {
                break;
            }
        }
        result.union_with(&candidates);
    }
    Ok(result)
}

/// A partition key's values, read from the labels, and the partitions holding
/// each: pruning by a key without building its [`Index`] (interning and sorting every label
/// is most of planning at 100,000 partitions). Used when the partition index is not loaded.
struct KeyPartitions {
    values: KeyList,
    /// The positions (in `metadata.partitions`) of value `v`'s partitions are
    /// `partitions[offsets[v]..offsets[v + 1]]`.
    offsets: Vec<usize>,
    partitions: Vec<u32>,
}

impl KeyPartitions {
    fn of(metadata: &DatasetMetadata, column: &str) -> Result<KeyPartitions> {
        let data_type = load::column_type(metadata, column)?;
        // Value texts in label order; a text equal to the previous one (the files of one
        // partition value are listed together) is parsed once. Texts repeated elsewhere are
        // parsed again: cheaper than hashing 100,000 distinct texts. Labels come in order,
        // so each text's partitions are a run of `partitions`, starting at its offset.
        let mut texts: Vec<&str> = Vec::new();
        let mut offsets: Vec<usize> = Vec::new();
        let mut partitions: Vec<u32> = Vec::with_capacity(metadata.partitions.len());
        for (partition, label) in metadata.partitions.keys().enumerate() {
            for pair in naming::label_pairs(label) {
                let (key, quoted) = pair?;
                if key == column {
                    if texts.last() != Some(&quoted) {
                        texts.push(quoted);
                        offsets.push(partitions.len());
                    }
                    // Positions fit: `partition_count` checked the partitions.
                    partitions.push(partition as u32);
                }
            }
        }
        offsets.push(partitions.len());
        let values = texts
            .iter()
            .map(|quoted| load::parse_partition_value(metadata, column, quoted, &data_type))
            .collect::<Result<Vec<Scalar>>>()?;
        Ok(KeyPartitions {
            values: KeyList::new(column, &data_type, &values)?,
            offsets,
            partitions,
        })
    }

    fn partitions_of(&self, value: usize) -> &[u32] {
        &self.partitions[self.offsets[value]..self.offsets[value + 1]]
    }
}

fn partition_count(metadata: &DatasetMetadata) -> Result<u32> {
    u32::try_from(metadata.partitions.len()).map_err(|_| {
        Error::unsupported(format!(
            "dataset `{}` has more than 2^32 partitions",
            metadata.uuid
        ))
    })
}

/// Maps an index's label ids to partition positions; labels the dataset does not have map to
/// `None` and are ignored.
fn dataset_ids(metadata: &DatasetMetadata, index: &Index) -> Vec<Option<u32>> {
    index
        .labels()
        .iter()
        .map(|label| {
            metadata
                .partitions
                .get_index_of(label.as_str())
                .and_then(|p| u32::try_from(p).ok())
        })
        .collect()
}

/// Groups surviving partitions by the values of the `dispatch_by` columns. A partition with
/// several values of a secondary-indexed column is in several groups; one without any value
/// (all nulls) in none — as plateau's inner join does.
fn dispatch_groups(
    metadata: &DatasetMetadata,
    surviving: &LabelSet,
    columns: &[String],
) -> Result<Vec<DispatchGroup>> {
    // For each column: partition id -> the index keys (positions) it holds.
    let mut per_column: Vec<(&Index, Vec<Vec<usize>>)> = Vec::with_capacity(columns.len());
    for column in columns {
        let index = metadata.loaded_index(column).ok_or_else(|| {
            Error::invalid_input(format!(
                "the index of dispatch column `{column}` of dataset `{}` is not loaded",
                metadata.uuid
            ))
        })?;
        let mapping = dataset_ids(metadata, index);
        let mut keys_of: Vec<Vec<usize>> = vec![Vec::new(); metadata.partitions.len()];
        for key in 0..index.len() {
            for id in index.label_ids(key) {
                if let Some(Some(partition)) = mapping.get(*id as usize) {
                    keys_of[*partition as usize].push(key);
                }
            }
        }
        per_column.push((index, keys_of));
    }
    // Key-position tuples sort like the values themselves: index keys are sorted.
    let mut groups: BTreeMap<Vec<usize>, Vec<u32>> = BTreeMap::new();
    for partition in surviving.iter() {
        let mut tuples: Vec<Vec<usize>> = vec![Vec::new()];
        for (_, keys_of) in &per_column {
            let keys = &keys_of[partition as usize];
            tuples = tuples
                .into_iter()
                .flat_map(|prefix| {
                    keys.iter().map(move |k| {
                        let mut t = prefix.clone();
                        t.push(*k);
                        t
                    })
                })
                .collect();
        }
        for tuple in tuples {
            groups.entry(tuple).or_default().push(partition);
        }
    }
    let labels: Vec<&String> = metadata.partitions.keys().collect();
    groups
        .into_iter()
        .map(|(tuple, partitions)| {
            let conjunction = columns
                .iter()
                .zip(&per_column)
                .zip(tuple)
                .map(|((column, (index, _)), key)| {
                    Ok(Literal {
                        column: column.clone(),
                        op: Op::Eq,
                        value: Value::Scalar(Scalar::try_from_array(index.keys().as_ref(), key)?),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(DispatchGroup {
                labels: partitions
                    .into_iter()
                    .map(|p| labels[p as usize].clone())
                    .collect(),
                conjunction,
            })
        })
        .collect()
}

/// plateau's `get_indices_as_dataframe`: one row per combination of partition and index
/// values, as a batch with a `partition` column (label) followed by one column per index
/// column, typed like the index. `columns = None` means every loaded index (secondary
/// indices first, then partition keys); the indices must be loaded.
///
/// With predicates, each conjunction keeps only the index values that satisfy its literals on
/// that column (all values for columns it does not mention), rows are joined on the
/// partition (AND) and the conjunctions' rows united (OR) without duplicates. Rows are in
/// metadata partition order, then value order.
pub fn indices_as_batch(
    metadata: &DatasetMetadata,
    columns: Option<&[String]>,
    predicates: Option<&Predicates>,
) -> Result<arrow::record_batch::RecordBatch> {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use arrow::array::{ArrayRef, StringArray, UInt32Array};
    use arrow::datatypes::{Field, Schema};

    if let Some(predicates) = predicates {
        predicates.validate()?;
    }
    let columns: Vec<String> = match columns {
        Some(columns) => columns.to_vec(),
        None => metadata
            .indices
            .keys()
            .chain(metadata.partition_keys.iter())
            .cloned()
            .collect(),
    };
    let mut indices: Vec<(&String, &Index, Vec<Option<u32>>)> = Vec::new();
    for column in &columns {
        let index = metadata.loaded_index(column).ok_or_else(|| {
            if metadata.index_columns().contains(&column.as_str()) {
                Error::invalid_input(format!(
                    "the index of column `{column}` of dataset `{}` is not loaded",
                    metadata.uuid
                ))
            } else {
                Error::invalid_input(format!("Unknown index columns: {column}"))
            }
        })?;
        indices.push((column, index, dataset_ids(metadata, index)));
    }
    let options = EvalOptions::default();
    let conjunctions: Vec<Vec<&Literal>> = match predicates {
        Some(p) => p
            .conjunctions
            .iter()
            .map(|c| c.literals.iter().collect())
            .collect(),
        None => vec![Vec::new()],
    };
    // Rows as (partition position, key position per column).
    let mut rows: BTreeSet<(u32, Vec<usize>)> = BTreeSet::new();
    for literals in conjunctions {
        // Per column: partition -> matching key positions.
        let mut per_column: Vec<BTreeMap<u32, Vec<usize>>> = Vec::new();
        for (column, index, mapping) in &indices {
            let mut mask = vec![true; index.len()];
            for literal in literals.iter().filter(|l| &l.column == *column) {
                let matched = plateau_serialization::filter::evaluate_literal(
                    column,
                    index.keys().as_ref(),
                    literal.op,
                    &literal.value,
                    &options,
                )?;
                for (slot, hit) in mask.iter_mut().zip(matched.values().iter()) {
                    *slot &= hit;
                }
            }
            let mut by_partition: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for (key, keep) in mask.iter().enumerate() {
                if !keep {
                    continue;
                }
                for id in index.label_ids(key) {
                    if let Some(Some(partition)) = mapping.get(*id as usize) {
                        by_partition.entry(*partition).or_default().push(key);
                    }
                }
            }
            per_column.push(by_partition);
        }
        let partitions: Vec<u32> = match per_column.first() {
            Some(first) => first.keys().copied().collect(),
            None => (0..partition_count(metadata)?).collect(),
        };
        for partition in partitions {
            let mut tuples: Vec<Vec<usize>> = vec![Vec::new()];
            for by_partition in &per_column {
                let keys = by_partition
                    .get(&partition)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                tuples = tuples
                    .into_iter()
                    .flat_map(|prefix| {
                        keys.iter().map(move |k| {
                            let mut t = prefix.clone();
                            t.push(*k);
                            t
                        })
                    })
                    .collect();
            }
            for tuple in tuples {
                rows.insert((partition, tuple));
            }
        }
    }
    let labels: Vec<&String> = metadata.partitions.keys().collect();
    let mut fields = vec![Field::new(
        "partition",
        arrow::datatypes::DataType::Utf8,
        false,
    )];
    let mut arrays: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(
        rows.iter().map(|(p, _)| labels[*p as usize].as_str()),
    ))];
    for (position, (column, index, _)) in indices.iter().enumerate() {
        let take =
            UInt32Array::from_iter_values(rows.iter().map(|(_, keys)| keys[position] as u32));
        arrays.push(arrow::compute::take(index.keys().as_ref(), &take, None)?);
        fields.push(Field::new(
            column.as_str(),
            index.data_type().clone(),
            false,
        ));
    }
    Ok(arrow::record_batch::RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        arrays,
    )?)
}
