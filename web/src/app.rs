//! The page: connection bar, device card, live view, settings, file analysis.

use leptos::prelude::*;

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <header><h1>"stapes"</h1></header>
        <main><p>"loading"</p></main>
    }
}
