//! How the window's web view paints. WebKitGTK paints a page's tiles on the GPU with Skia
//! by default, which without a GPU it can use (a virtual machine, a remote desktop, many
//! office laptops' software GL) means Mesa's software renderer holding about 50 MiB of
//! renderer state in the web process (`scripts/bench.sh`, idle memory). A board of flat
//! cards paints just as well on the CPU, on the page's own thread; WebKit still composites
//! the tiles (turning compositing off altogether stopped the window painting after a
//! resize). People who want otherwise set the variables themselves.

/// WebKit's switches for CPU painting, with the values this app wants.
const CPU_PAINTING: [(&str, &str); 2] =
    [("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"), ("WEBKIT_SKIA_CPU_PAINTING_THREADS", "0")];

/// Chooses CPU painting for the web views this process makes, unless the person chose
/// already. Call first thing in `main`, before any thread starts: WebKit reads these from
/// the environment, which the web process inherits.
pub fn paint_on_the_cpu() {
    for (name, value) in CPU_PAINTING {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}
