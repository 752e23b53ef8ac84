//! Handing file descriptors (shared objects such as a lock's memory) to a child over its
//! channel, as `SCM_RIGHTS` ancillary data. Why not inherit them: a child that inherits
//! nothing but its channel can be started with `posix_spawn` (no `fork` of a large parent),
//! which is most of what starting a process costs.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

/// The most descriptors handed over at once.
pub(crate) const MAX_FDS: usize = 8;

/// Sends `fds` (with one byte of data, as ancillary data needs some).
pub(crate) fn send_fds(channel: &UnixStream, fds: &[RawFd]) -> io::Result<()> {
    if fds.is_empty() || fds.len() > MAX_FDS {
        return Err(io::Error::other(format!(
            "cannot hand over {} descriptors",
            fds.len()
        )));
    }
    let mut byte = [b'F'];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let payload = std::mem::size_of_val(fds);
    // SAFETY: CMSG_SPACE is a pure computation.
    let space = unsafe { libc::CMSG_SPACE(payload as u32) } as usize;
    let mut control = control_buffer(space);
    // SAFETY: a zeroed msghdr is valid; every pointer set below outlives the call.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(payload as u32) as _;
        std::ptr::copy_nonoverlapping(fds.as_ptr().cast::<u8>(), libc::CMSG_DATA(cmsg), payload);
        if libc::sendmsg(channel.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) != 1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A control buffer of at least `space` bytes, aligned as the `cmsghdr` at its start must be
/// (a `Vec<u8>` promises only byte alignment).
fn control_buffer(space: usize) -> Vec<libc::cmsghdr> {
    let headers = space.div_ceil(std::mem::size_of::<libc::cmsghdr>());
    // SAFETY: a cmsghdr is plain integers; all zeros is a valid one.
    vec![unsafe { std::mem::zeroed::<libc::cmsghdr>() }; headers]
}

/// Receives the descriptors [`send_fds`] sent (close-on-exec set).
pub(crate) fn receive_fds(channel: &UnixStream) -> io::Result<Vec<OwnedFd>> {
    let mut byte = [0u8];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: a pure computation.
    let space =
        unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32 * MAX_FDS as u32) } as usize;
    let mut control = control_buffer(space);
    let mut fds = Vec::new();
    // SAFETY: as in `send_fds`; the kernel fills `control` with at most `space` bytes and we
    // read only the descriptors it says it put there.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let got = libc::recvmsg(channel.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC);
        if got != 1 || byte[0] != b'F' {
            return Err(io::Error::other(
                "the parent did not hand over the shared objects",
            ));
        }
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg);
                let len = (*cmsg).cmsg_len as usize - (data as usize - cmsg as usize);
                for i in 0..len / std::mem::size_of::<RawFd>() {
                    let fd = std::ptr::read_unaligned(data.cast::<RawFd>().add(i));
                    fds.push(OwnedFd::from_raw_fd(fd));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok(fds)
}

/// Writes all of `bytes` with `MSG_NOSIGNAL`: a child that died leaves its end closed, and
/// writing there must be an error for the caller, not a SIGPIPE that ends conlab (whose `main`
/// restores the default action so `conlab list | head` ends quietly).
pub(crate) fn send_all(channel: &UnixStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: a valid socket and a buffer of `bytes.len()` readable bytes.
        let sent = unsafe {
            libc::send(
                channel.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if sent < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        bytes = &bytes[sent as usize..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, Write};

    #[test]
    fn descriptors_handed_over_arrive_whole_and_usable() {
        for n in 1..=MAX_FDS {
            let (parent, child) = UnixStream::pair().unwrap();
            let files: Vec<std::fs::File> = (0..n)
                .map(|i| {
                    let mut f = tempfile::tempfile().unwrap();
                    write!(f, "file {i}").unwrap();
                    f
                })
                .collect();
            let raw: Vec<RawFd> = files.iter().map(AsRawFd::as_raw_fd).collect();
            send_fds(&parent, &raw).unwrap();
            let got = receive_fds(&child).unwrap();
            assert_eq!(got.len(), n);
            for (i, fd) in got.into_iter().enumerate() {
                let mut f = std::fs::File::from(fd);
                f.rewind().unwrap();
                let mut text = String::new();
                f.read_to_string(&mut text).unwrap();
                assert_eq!(text, format!("file {i}"));
            }
        }
        let (parent, _child) = UnixStream::pair().unwrap();
        assert!(send_fds(&parent, &[]).is_err());
        assert!(send_fds(&parent, &[0; MAX_FDS + 1]).is_err());
    }

    #[test]
    fn the_control_buffer_is_aligned_for_its_header() {
        for space in [1, 16, 20, 24, 48, 100] {
            let buffer = control_buffer(space);
            assert!(std::mem::size_of_val(buffer.as_slice()) >= space);
            assert_eq!(
                buffer.as_ptr() as usize % std::mem::align_of::<libc::cmsghdr>(),
                0
            );
        }
    }
}
