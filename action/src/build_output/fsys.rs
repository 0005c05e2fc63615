//! The few file-system calls the build-output walk makes, relative to an open folder.
//!
//! On Unix a folder is an open descriptor: its files are opened with `openat` on it, so the
//! kernel resolves one name per file instead of the whole path again (at 20k files in 27k
//! folders that path walk was a large share of the system time), and the folder is listed with
//! `getdents64` without the extra `fstat` that `std::fs::read_dir` makes. Elsewhere the same
//! calls go through `std::fs` with full paths.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// What a folder entry is, as the listing tells (a type it does not tell is looked up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link.
    Symlink,
    /// A FIFO, socket or device.
    Other,
}

/// An open folder of the build output.
#[cfg(unix)]
pub struct Folder(std::os::fd::OwnedFd);

/// An open folder of the build output.
#[cfg(not(unix))]
pub struct Folder(PathBuf);

#[cfg(unix)]
impl Folder {
    /// Open the folder at `path`.
    pub fn open(path: &Path) -> io::Result<Folder> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        Ok(Folder(rustix::fs::open(path, flags, Mode::empty())?))
    }

    /// Its entries (without `.` and `..`), in the order the file system gives them.
    pub fn list(&self) -> io::Result<Vec<(OsString, Kind)>> {
        use std::os::unix::ffi::OsStringExt;
        let mut out = Vec::new();
        self.each_entry(|name, file_type| {
            let bytes = name.to_bytes();
            if bytes == b"." || bytes == b".." {
                return Ok(());
            }
            let kind = match file_type {
                rustix::fs::FileType::Directory => Kind::Dir,
                rustix::fs::FileType::RegularFile => Kind::File,
                rustix::fs::FileType::Symlink => Kind::Symlink,
                rustix::fs::FileType::Unknown => self.kind_of(name)?,
                _ => Kind::Other,
            };
            out.push((OsString::from_vec(bytes.to_vec()), kind));
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `each` with every entry's name and type: `getdents64` straight on the folder's
    /// descriptor on Linux, a `Dir` over a duplicate of it elsewhere.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn each_entry(
        &self,
        mut each: impl FnMut(&std::ffi::CStr, rustix::fs::FileType) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut buf = vec![std::mem::MaybeUninit::<u8>::uninit(); 32 << 10];
        let mut dir = rustix::fs::RawDir::new(&self.0, &mut buf);
        while let Some(entry) = dir.next() {
            let entry = entry?;
            each(entry.file_name(), entry.file_type())?;
        }
        Ok(())
    }

    /// Calls `each` with every entry's name and type.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn each_entry(
        &self,
        mut each: impl FnMut(&std::ffi::CStr, rustix::fs::FileType) -> io::Result<()>,
    ) -> io::Result<()> {
        for entry in rustix::fs::Dir::new(rustix::io::dup(&self.0)?)? {
            let entry = entry?;
            each(entry.file_name(), entry.file_type())?;
        }
        Ok(())
    }

    /// The kind of entry `name`, for file systems whose listing does not tell it.
    fn kind_of(&self, name: &std::ffi::CStr) -> io::Result<Kind> {
        use rustix::fs::{AtFlags, FileType};
        let stat = rustix::fs::statat(&self.0, name, AtFlags::SYMLINK_NOFOLLOW)?;
        Ok(match FileType::from_raw_mode(stat.st_mode as _) {
            FileType::Directory => Kind::Dir,
            FileType::RegularFile => Kind::File,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        })
    }

    /// Open its file `name` for reading (not following a symlink put there since the listing).
    pub fn open_file(&self, name: &str) -> io::Result<File> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        Ok(File::from(rustix::fs::openat(
            &self.0,
            name,
            flags,
            Mode::empty(),
        )?))
    }

    /// The target of its symlink `name`.
    pub fn read_link(&self, name: &str) -> io::Result<PathBuf> {
        use std::os::unix::ffi::OsStringExt;
        let target = rustix::fs::readlinkat(&self.0, name, Vec::new())?;
        Ok(PathBuf::from(OsString::from_vec(target.into_bytes())))
    }
}

#[cfg(not(unix))]
impl Folder {
    /// Open the folder at `path`.
    pub fn open(path: &Path) -> io::Result<Folder> {
        std::fs::read_dir(path)?;
        Ok(Folder(path.to_owned()))
    }

    /// Its entries, in the order the file system gives them.
    pub fn list(&self) -> io::Result<Vec<(OsString, Kind)>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.0)? {
            let entry = entry?;
            let ft = entry.file_type()?;
            let kind = if ft.is_dir() {
                Kind::Dir
            } else if ft.is_symlink() {
                Kind::Symlink
            } else if ft.is_file() {
                Kind::File
            } else {
                Kind::Other
            };
            out.push((entry.file_name(), kind));
        }
        Ok(out)
    }

    /// Open its file `name` for reading.
    pub fn open_file(&self, name: &str) -> io::Result<File> {
        File::open(self.0.join(name))
    }

    /// The target of its symlink `name`.
    pub fn read_link(&self, name: &str) -> io::Result<PathBuf> {
        std::fs::read_link(self.0.join(name))
    }
}
