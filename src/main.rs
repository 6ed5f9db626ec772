//! oxidis-server: command line → config → server → event loop.

#[global_allocator]
static GLOBAL: oxidis::alloc::CountingAlloc = oxidis::alloc::CountingAlloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    std::process::exit(oxidis::startup::main(args));
}
