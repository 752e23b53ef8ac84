//! Standard output that cannot panic: `println!` panics when the output cannot be written (a
//! full disk, `>/dev/full`); [`outln!`] says so on standard error and exits with 4, conlab's
//! code for output that could not be written. (A reader that went away ends conlab quietly, as
//! SIGPIPE ends every Unix tool.)

use std::io::Write;

/// Writes one line to standard output, or exits with 4 saying why it could not.
pub fn line(args: std::fmt::Arguments) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_fmt(args)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
    {
        eprintln!("conlab: could not write to standard output: {e}");
        std::process::exit(4);
    }
}

/// `println!`, through [`line`].
macro_rules! outln {
    () => {
        $crate::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;
