//! The dashboard binary trunk builds: mounts the page (the wasm32 build; a host build has nothing to show).

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        console_error_panic_hook::set_once();
        leptos::mount::mount_to_body(stapes_web::App);
    }
}
