//! Streaming API mirroring `plateau.io.iter`: partitions in, partitions out, bounded memory.
//!
//! Filled by the streaming-and-parallel milestone.
