//! The `plateau` command-line tool (filled by the CLI milestone).

fn main() {
    eprintln!("plateau: the command-line tool is not built yet; see README.md");
    std::process::exit(2);
}
