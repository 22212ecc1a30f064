//! Reading a stored version in bounded pieces, and cutting what is read into batches.
//!
//! polars' streaming engine maps the whole Parquet file into memory and reads it from there.
//! The pages a scan touches stay resident until the scan ends, so one scan over a
//! 10,000,000-row version holds the whole file (270 MB) by the time it finishes, on top of
//! what it decodes. An export whose rows keep the version's order therefore reads it as a
//! series of scans, each over a run of whole row groups of about [`PIECE_ROWS`] rows, each
//! scan's mapping released before the next begins: what is resident stays about one piece
//! whatever the version's size. A sorted export needs every row before its first and stays one
//! scan.
//!
//! [`Batcher`] turns whatever frames the scans yield into batches of exactly [`BATCH_ROWS`]
//! rows (the last one shorter), the same batches one scan would give, so a plugin's output does
//! not depend on where the pieces are cut. With a filter, the export's offset and limit count
//! filtered rows, so the batcher applies them across pieces; without one, they are rows of the
//! file and only the pieces that hold them are read.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;

use polars::prelude::*;

use super::{BATCH_ROWS, ExportError, ExportSpec, batch};

/// Rows of the version one scan reads, rounded to whole row groups. Versions are stored with
/// row groups of about 122,880 rows (polars' default), so a piece is four of them: few enough
/// that a piece's pages stay small (about 15 MB of this benchmark's Parquet), enough that
/// polars decodes a piece's row groups in parallel.
pub const PIECE_ROWS: u64 = 4 * 122_880;

/// The row ranges of an unsorted export, and the part of the spec each piece runs.
#[derive(Debug, Clone)]
pub struct Pieces {
    parquet: PathBuf,
    spec: ExportSpec,
    /// Rows of the stored file, in order.
    ranges: Vec<Range<u64>>,
    /// Filtered rows to skip, then the most to keep (a filtered export's window).
    skip: u64,
    take: Option<u64>,
}

impl Pieces {
    /// Plans the pieces of `spec` over the version at `parquet`, from its row groups.
    pub fn plan(parquet: &Path, spec: &ExportSpec) -> Result<Self, ExportError> {
        let groups = row_group_rows(parquet)?;
        let total: u64 = groups.iter().sum();
        let (offset, limit) = spec.window()?;
        let (rows, skip, take) = if spec.filter.is_some() {
            (0..total, offset, limit)
        } else {
            let start = offset.min(total);
            let end = limit.map_or(total, |limit| start.saturating_add(limit).min(total));
            (start..end, 0, None)
        };
        Ok(Pieces {
            parquet: parquet.to_owned(),
            spec: spec.clone(),
            ranges: cut(&groups, rows, PIECE_ROWS),
            skip,
            take,
        })
    }

    /// The scans, one per piece, each with the spec's filter and columns.
    pub fn frames(&self) -> impl Iterator<Item = Result<LazyFrame, ExportError>> + '_ {
        self.ranges.iter().map(|range| {
            let scan = scan(&self.parquet)?;
            let schema = scan
                .clone()
                .collect_schema()
                .map_err(|e| ExportError::Data(e.to_string()))?;
            let piece = scan.slice(range.start as i64, (range.end - range.start) as IdxSize);
            self.spec.apply_to_piece(piece, &schema)
        })
    }

    /// Rows the export will produce: the filtered rows of every piece, counted piece by piece,
    /// then the window.
    pub fn count(&self) -> Result<u64, ExportError> {
        let mut rows = 0;
        for frame in self.frames() {
            rows += super::count_rows(&frame?)?;
        }
        let rows = rows.saturating_sub(self.skip);
        Ok(self.take.map_or(rows, |take| rows.min(take)))
    }

    /// A batcher applying this export's window across pieces.
    pub fn batcher(&self, sender: SyncSender<super::Converted>) -> Batcher {
        Batcher::new(sender, self.skip, self.take)
    }
}

/// A scan of the version, as every export starts.
pub fn scan(parquet: &Path) -> Result<LazyFrame, ExportError> {
    LazyFrame::scan_parquet(
        PlRefPath::new(parquet.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(|e| ExportError::Data(e.to_string()))
}

/// The row count of each row group, from the file's footer alone.
fn row_group_rows(parquet: &Path) -> Result<Vec<u64>, ExportError> {
    let file = std::fs::File::open(parquet)
        .map_err(|e| ExportError::Data(format!("cannot open {}: {e}", parquet.display())))?;
    let mut reader = ParquetReader::new(file);
    let metadata = reader
        .get_metadata()
        .map_err(|e| ExportError::Data(e.to_string()))?;
    Ok(metadata
        .row_groups
        .iter()
        .map(|group| group.num_rows() as u64)
        .collect())
}

/// Cuts `rows` into ranges of at least `piece_rows` rows (the last may be shorter) that end
/// on row-group boundaries, so that no row group is decoded by two scans.
fn cut(groups: &[u64], rows: Range<u64>, piece_rows: u64) -> Vec<Range<u64>> {
    let mut ranges = Vec::new();
    let mut start = rows.start;
    let mut group_end = 0;
    for group in groups {
        group_end += group;
        if group_end <= start {
            continue;
        }
        let end = group_end.min(rows.end);
        if end - start >= piece_rows || end == rows.end {
            ranges.push(start..end);
            start = end;
        }
        if end == rows.end {
            break;
        }
    }
    if start < rows.end {
        // The footer counted fewer rows than asked for; a scan of the rest finds none.
        ranges.push(start..rows.end);
    }
    ranges
}

/// Cuts frames into batches of exactly [`BATCH_ROWS`] rows (or as asked), converts them into the plugin
/// contract's form and sends them on; skips and limits rows when asked to.
pub struct Batcher {
    sender: SyncSender<super::Converted>,
    pending: DataFrame,
    skip: u64,
    take: Option<u64>,
    stopped: bool,
    /// Rows per batch: [`BATCH_ROWS`], or fewer when batches run in parallel.
    rows: usize,
}

impl Batcher {
    pub fn new(sender: SyncSender<super::Converted>, skip: u64, take: Option<u64>) -> Self {
        Batcher {
            sender,
            pending: DataFrame::empty(),
            skip,
            take,
            stopped: false,
            rows: BATCH_ROWS,
        }
    }

    /// The same batcher, cutting batches of `rows` rows instead.
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.rows = rows.max(1);
        self
    }

    /// Whether no more rows are wanted: the limit is reached, or the plugin side has failed or
    /// finished early.
    pub fn is_done(&self) -> bool {
        self.stopped || self.take == Some(0)
    }

    /// Takes a frame; returns whether no more rows are wanted.
    pub fn push(&mut self, mut frame: DataFrame) -> bool {
        if self.is_done() {
            return true;
        }
        let height = frame.height() as u64;
        if self.skip >= height {
            self.skip -= height;
            return false;
        }
        if self.skip > 0 {
            frame = frame.slice(self.skip as i64, usize::MAX);
            self.skip = 0;
        }
        if let Some(take) = &mut self.take {
            if (frame.height() as u64) > *take {
                frame = frame.head(Some(*take as usize));
            }
            *take -= frame.height() as u64;
        }
        if let Err(e) = self.pending.vstack_mut_owned(frame) {
            self.send(Err(e.to_string()));
            return true;
        }
        while self.pending.height() >= self.rows && !self.stopped {
            let (next, rest) = self.pending.split_at(self.rows as i64);
            self.pending = rest;
            self.convert_and_send(next);
        }
        self.is_done()
    }

    /// Sends the rows left over, fewer than a batch.
    pub fn finish(&mut self) {
        let rest = std::mem::take(&mut self.pending);
        if rest.height() > 0 && !self.stopped {
            self.convert_and_send(rest);
        }
    }

    fn convert_and_send(&mut self, frame: DataFrame) {
        let converted = batch::to_batch(&frame)
            .map(|batch| (frame.height(), batch))
            .map_err(|e| e.to_string());
        drop(frame);
        self.send(converted);
    }

    fn send(&mut self, converted: super::Converted) {
        let failed = converted.is_err();
        // A closed channel means the plugin side has failed or finished early.
        if self.sender.send(converted).is_err() || failed {
            self.stopped = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_end_on_row_group_boundaries() {
        let groups = [100, 100, 100, 100, 50];
        assert_eq!(cut(&groups, 0..450, 200), vec![0..200, 200..400, 400..450]);
        assert_eq!(cut(&groups, 0..450, 150), vec![0..200, 200..400, 400..450]);
        assert_eq!(
            cut(&groups, 0..450, 1),
            vec![0..100, 100..200, 200..300, 300..400, 400..450]
        );
        // A window starts and ends inside row groups.
        assert_eq!(cut(&groups, 150..320, 100), vec![150..300, 300..320]);
        assert_eq!(cut(&groups, 120..130, 100), vec![120..130]);
        assert_eq!(cut(&groups, 450..450, 100), Vec::<Range<u64>>::new());
        assert_eq!(cut(&[], 0..0, 100), Vec::<Range<u64>>::new());
    }

    fn numbers(range: Range<i64>) -> DataFrame {
        df!("n" => range.collect::<Vec<i64>>()).unwrap()
    }

    fn batch_rows(skip: u64, take: Option<u64>, frames: &[Range<i64>]) -> Vec<Vec<i64>> {
        let (sender, receiver) = std::sync::mpsc::sync_channel(1024);
        let mut batcher = Batcher::new(sender, skip, take);
        for frame in frames {
            if batcher.push(numbers(frame.clone())) {
                break;
            }
        }
        batcher.finish();
        drop(batcher);
        receiver
            .into_iter()
            .map(|converted| {
                let (rows, batch) = converted.unwrap();
                let crate::plugins::exporter::ColumnValues::Int64(values) =
                    &batch.columns[0].values
                else {
                    panic!("an int64 column");
                };
                assert_eq!(values.len(), rows);
                values.clone()
            })
            .collect()
    }

    #[test]
    fn batches_are_whole_whatever_the_frames() {
        let rows = BATCH_ROWS as i64;
        let batches = batch_rows(0, None, &[0..10, 10..rows + 5, rows + 5..2 * rows + 7]);
        assert_eq!(batches.len(), 3);
        assert_eq!(batches[0], (0..rows).collect::<Vec<_>>());
        assert_eq!(batches[1], (rows..2 * rows).collect::<Vec<_>>());
        assert_eq!(batches[2], (2 * rows..2 * rows + 7).collect::<Vec<_>>());
    }

    #[test]
    fn the_window_is_counted_across_frames() {
        let batches = batch_rows(15, Some(10), &[0..10, 10..20, 20..30, 30..40]);
        assert_eq!(batches, vec![(15..25).collect::<Vec<_>>()]);
        assert_eq!(
            batch_rows(50, None, &[0..10, 10..20]),
            Vec::<Vec<i64>>::new()
        );
        assert_eq!(
            batch_rows(0, Some(0), &[0..5, 5..10]),
            Vec::<Vec<i64>>::new()
        );
    }
}
