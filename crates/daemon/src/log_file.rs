//! The log file (`--log-file`, `[COMMON] log_file`), opened again when logrotate moves it
//! away or deletes it. The original logs through oslo.log's `WatchedFileHandler`, which does
//! the same; a daemon keeping its first file would write on, for ever, into a file rotated
//! away (or deleted, its disk space never given back) while the named one stays empty. It is
//! also opened again on request (SIGHUP, logrotate's `postrotate`).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// How often a write looks whether the file is still where it was opened: a `stat` per
/// line would be a system call more on every attach.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Shared by the log writer and whoever reopens it (clones are the same file).
#[derive(Clone)]
pub struct LogFile(Arc<Shared>);

struct Shared {
    path: PathBuf,
    check_interval: Duration,
    open: Mutex<Open>,
}

struct Open {
    file: File,
    /// Device and inode of `file`: the path names another file (or none) once rotated.
    identity: (u64, u64),
    checked: Instant,
}

impl Open {
    fn at(path: &Path) -> io::Result<Open> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let meta = file.metadata()?;
        Ok(Open {
            file,
            identity: (meta.dev(), meta.ino()),
            checked: Instant::now(),
        })
    }
}

impl LogFile {
    pub fn open(path: &Path) -> io::Result<LogFile> {
        LogFile::with_check_interval(path, CHECK_INTERVAL)
    }

    pub fn with_check_interval(path: &Path, check_interval: Duration) -> io::Result<LogFile> {
        Ok(LogFile(Arc::new(Shared {
            path: path.to_path_buf(),
            check_interval,
            open: Mutex::new(Open::at(path)?),
        })))
    }

    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// Opens the path again, whatever it names now.
    pub fn reopen(&self) -> io::Result<()> {
        let fresh = Open::at(self.path())?;
        *self.lock() = fresh;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        // A panic while writing a line leaves the file as usable as before.
        self.0
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The open file, opened again first if the path no longer names it (looked at once per
    /// check interval). If it cannot be opened again, lines go on to the old file rather
    /// than nowhere.
    fn current(&self) -> MutexGuard<'_, Open> {
        let mut open = self.lock();
        if open.checked.elapsed() >= self.0.check_interval {
            open.checked = Instant::now();
            let moved = match std::fs::metadata(self.path()) {
                Ok(meta) => (meta.dev(), meta.ino()) != open.identity,
                Err(_) => true,
            };
            if moved {
                if let Ok(fresh) = Open::at(self.path()) {
                    *open = fresh;
                }
            }
        }
        open
    }
}

/// One log line's hold on the file: lines are written whole, one at a time.
pub struct LogFileWriter<'a>(MutexGuard<'a, Open>);

impl Write for LogFileWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.file.flush()
    }
}

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = LogFileWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogFileWriter(self.current())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(log: &LogFile, text: &str) {
        writeln!(log.make_writer(), "{text}").unwrap();
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn a_file_rotated_away_is_followed_by_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let (path, rotated) = (dir.path().join("bgp.log"), dir.path().join("bgp.log.1"));
        let log = LogFile::with_check_interval(&path, Duration::ZERO).unwrap();
        line(&log, "before");
        std::fs::rename(&path, &rotated).unwrap();
        line(&log, "after");
        assert_eq!(read(&rotated), "before\n");
        assert_eq!(read(&path), "after\n");
    }

    #[test]
    fn a_deleted_file_is_created_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bgp.log");
        let log = LogFile::with_check_interval(&path, Duration::ZERO).unwrap();
        line(&log, "before");
        std::fs::remove_file(&path).unwrap();
        line(&log, "after");
        assert_eq!(read(&path), "after\n");
    }

    /// Between checks, lines go to the file opened (no `stat` per line); `reopen` takes the
    /// path's file at once.
    #[test]
    fn between_checks_only_reopen_follows_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let (path, rotated) = (dir.path().join("bgp.log"), dir.path().join("bgp.log.1"));
        let log = LogFile::with_check_interval(&path, Duration::from_secs(3600)).unwrap();
        line(&log, "one");
        std::fs::rename(&path, &rotated).unwrap();
        line(&log, "two");
        log.reopen().unwrap();
        line(&log, "three");
        assert_eq!(read(&rotated), "one\ntwo\n");
        assert_eq!(read(&path), "three\n");
    }

    #[test]
    fn lines_are_appended_to_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bgp.log");
        std::fs::write(&path, "earlier run\n").unwrap();
        let log = LogFile::open(&path).unwrap();
        line(&log, "this run");
        assert_eq!(read(&path), "earlier run\nthis run\n");
    }
}
