//! Frame-major features drawn on a canvas: one column per frame, low bands at the bottom, viridis over the data's
//! own range (the recorder's re-import and file analysis).

use wasm_bindgen::JsCast;

use crate::colormap::Colormap;

/// Draws `data` (`n_features` values per frame) on `canvas`, resizing it to frames × features pixels.
pub fn draw(canvas: &web_sys::HtmlCanvasElement, n_features: usize, data: &[f32]) {
    let rows = n_features;
    let cols = data.len().checked_div(rows).unwrap_or(0);
    if cols == 0 {
        return;
    }
    let finite = || data.iter().copied().filter(|v| v.is_finite());
    let lo = finite().fold(f32::INFINITY, f32::min);
    let hi = finite().fold(f32::NEG_INFINITY, f32::max).max(lo + 1e-6);
    let map = Colormap::viridis();
    let mut pixels = vec![0u8; cols * rows * 4];
    for (x, frame) in data.chunks_exact(rows).enumerate() {
        for (k, &v) in frame.iter().enumerate() {
            let [r, g, b] = map.rgb(v, lo, hi);
            let p = ((rows - 1 - k) * cols + x) * 4;
            pixels[p..p + 4].copy_from_slice(&[r, g, b, 255]);
        }
    }
    canvas.set_width(cols as u32);
    canvas.set_height(rows as u32);
    let ctx =
        canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok());
    if let (Some(ctx), Ok(image)) =
        (ctx, web_sys::ImageData::new_with_u8_clamped_array(wasm_bindgen::Clamped(&pixels), cols as u32))
    {
        let _ = ctx.put_image_data(&image, 0, 0);
    }
}
