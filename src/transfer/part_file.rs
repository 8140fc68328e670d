//! Downloads to a path through a `.part` file, so that a run that stops
//! half-way (a crash, a kill) leaves something the next run continues.
//!
//! Beside `<path>.part` lies `<path>.part.json`, written as soon as the first
//! answer arrives: its validator (`ETag` or `Last-Modified`) and size. The next
//! run reads both, sums the partial file into a digest, and resumes as any
//! broken read is resumed (`FileRead`): the rest with `Range` and `If-Range`
//! where there is a validator, else the whole file with the partial one's
//! bytes checked. A partial file of another version is truncated and the
//! download starts over. When the file is complete it is flushed to disk and
//! renamed to `<path>`, and the notes removed.

use std::{
    ffi::OsString,
    io,
    path::{Path, PathBuf},
};

use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};
use tokio::{
    fs::{File, OpenOptions},
    io::{AsyncReadExt, AsyncWriteExt},
};

use super::{Digest, file_read::Earlier};

/// A download's `.part` file, open for appending, and its notes.
pub(crate) struct PartFile {
    path: PathBuf,
    part: PathBuf,
    notes: PathBuf,
    file: File,
}

/// What the notes beside a `.part` file say.
#[derive(Serialize, Deserialize)]
struct Notes {
    validator: Option<String>,
    size: Option<u64>,
}

/// `path` with `suffix` after its whole file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

impl PartFile {
    /// Opens `<path>.part` for appending, and says what an earlier run left
    /// in it (`None` for nothing, or an empty file).
    pub(crate) async fn open(path: &Path) -> io::Result<(PartFile, Option<Earlier>)> {
        let part = with_suffix(path, ".part");
        let notes = with_suffix(path, ".part.json");
        let earlier = match tokio::fs::metadata(&part).await {
            Ok(meta) if meta.len() > 0 => Some(Self::read_earlier(&part, &notes).await?),
            _ => None,
        };
        let file = OpenOptions::new().create(true).append(true).open(&part).await?;
        Ok((PartFile { path: path.to_owned(), part, notes, file }, earlier))
    }

    async fn read_earlier(part: &Path, notes: &Path) -> io::Result<Earlier> {
        let mut file = File::open(part).await?;
        let mut digest = Digest::default();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut delivered = 0u64;
        loop {
            let n = file.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            digest.update(&buffer[..n]);
            delivered += n as u64;
        }
        // Notes that are missing or unreadable say nothing: the partial file
        // is then checked by its digest alone.
        let notes: Option<Notes> =
            tokio::fs::read(notes).await.ok().and_then(|text| serde_json::from_slice(&text).ok());
        let (validator, size) = match notes {
            Some(Notes { validator, size }) => (validator.and_then(|v| HeaderValue::from_str(&v).ok()), size),
            None => (None, None),
        };
        Ok(Earlier { delivered, digest, validator, size })
    }

    /// The file to append to.
    pub(crate) fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Notes what the first answer said, for a later run.
    pub(crate) async fn note(&self, validator: Option<&HeaderValue>, size: Option<u64>) -> io::Result<()> {
        let notes = Notes { validator: validator.and_then(|v| v.to_str().ok()).map(str::to_owned), size };
        tokio::fs::write(&self.notes, serde_json::to_vec(&notes).map_err(io::Error::other)?).await
    }

    /// Empties the partial file, which holds another version, and its notes.
    pub(crate) async fn restart(&mut self) -> io::Result<()> {
        self.file.set_len(0).await?;
        match tokio::fs::remove_file(&self.notes).await {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }

    /// Flushes the complete file to disk, renames it to its path and removes
    /// the notes.
    pub(crate) async fn finish(mut self) -> io::Result<()> {
        self.file.flush().await?;
        self.file.sync_all().await?;
        drop(self.file);
        tokio::fs::rename(&self.part, &self.path).await?;
        match tokio::fs::remove_file(&self.notes).await {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }
}
