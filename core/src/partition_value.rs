//! Partition values as plateau writes them into keys (in progress).
