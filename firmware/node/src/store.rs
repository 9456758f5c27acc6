//! Settings in flash: one `sequential-storage` map item (power-fail safe: an interrupted write leaves the previous
//! item in force) holding `SCHEMA_VERSION` then the postcard `NodeSettings`.

use core::ops::Range;

use embedded_storage_async::nor_flash::NorFlash;
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};
use stapes_protocol::{NodeSettings, SCHEMA_VERSION, SettingsOrigin};

/// The map key of the settings item.
const SETTINGS_KEY: u8 = 1;
/// Bytes of the map's work buffer: key + record, with room to spare (a settings record is about 100 bytes).
const BUFFER_LEN: usize = 512;

/// Flash drivers may need word-aligned buffers.
#[repr(align(4))]
struct Buffer([u8; BUFFER_LEN]);

/// The settings store over flash `F`.
pub(crate) struct Store<F: NorFlash> {
    map: MapStorage<u8, F, Cache<Uncached, Uncached, Uncached, u8>>,
    buffer: Buffer,
}

/// Why settings could not be saved.
#[derive(Debug)]
pub(crate) struct SaveError;

impl<F: NorFlash> Store<F> {
    /// # Panics
    /// If `range` is not whole erase sectors, at least two, inside the flash (a firmware build error).
    pub(crate) fn new(flash: F, range: Range<u32>) -> Self {
        let config = MapConfig::try_new(range).expect("settings flash range: whole sectors, at least two");
        Store { map: MapStorage::new(flash, config, Cache::new_uncached()), buffer: Buffer([0; BUFFER_LEN]) }
    }

    /// The stored settings, or `None` and the reason defaults apply. Unreadable flash is erased so the next save
    /// starts clean. `accept` is the node's own validation of what it reads back.
    pub(crate) async fn load(
        &mut self,
        accept: impl Fn(&NodeSettings) -> bool,
    ) -> Result<NodeSettings, SettingsOrigin> {
        let fetched = self.map.fetch_item::<&[u8]>(&mut self.buffer.0, &SETTINGS_KEY).await;
        let record = match fetched {
            Ok(Some(record)) => record,
            // sequential-storage reads foreign data (another firmware's filesystem, noise) as pages without items:
            // "nothing stored". Only a never-written range is a first boot; anything else is erased here, so that
            // `info` says the settings were reset and the first save starts from clean pages.
            Ok(None) => {
                if !matches!(self.is_erased().await, Ok(true)) {
                    // Best effort, as below.
                    let _ = self.map.erase_all().await;
                    return Err(SettingsOrigin::ResetCorrupt);
                }
                return Err(SettingsOrigin::Defaults);
            }
            Err(_) => {
                // Best effort: if even the erase fails, the next save reports the flash error.
                let _ = self.map.erase_all().await;
                return Err(SettingsOrigin::ResetCorrupt);
            }
        };
        let Some((version, body)) = record.split_first_chunk::<4>() else {
            return Err(SettingsOrigin::ResetCorrupt);
        };
        if u32::from_le_bytes(*version) != SCHEMA_VERSION {
            return Err(SettingsOrigin::ResetUnknownVersion);
        }
        match stapes_protocol::decode_body::<NodeSettings>(body) {
            Ok(settings) if accept(&settings) => Ok(settings),
            Ok(_) => Err(SettingsOrigin::ResetInvalid),
            Err(_) => Err(SettingsOrigin::ResetCorrupt),
        }
    }

    /// Whether every byte of the range reads as erased (0xFF).
    async fn is_erased(&mut self) -> Result<bool, F::Error> {
        let range = self.map.flash_range();
        let mut at = range.start;
        while at < range.end {
            let n = (range.end - at).min(BUFFER_LEN as u32);
            let chunk = &mut self.buffer.0[..n as usize];
            self.map.flash().read(at, chunk).await?;
            if chunk.iter().any(|&b| b != 0xff) {
                return Ok(false);
            }
            at += n;
        }
        Ok(true)
    }

    /// Writes `settings` (replacing the previous item). Must not be cancelled half-way (sequential-storage's rule).
    pub(crate) async fn save(&mut self, settings: &NodeSettings) -> Result<(), SaveError> {
        let mut record = [0u8; BUFFER_LEN - 8];
        record[..4].copy_from_slice(&SCHEMA_VERSION.to_le_bytes());
        let len = 4 + postcard::to_slice(settings, &mut record[4..]).map_err(|_| SaveError)?.len();
        self.map.store_item(&mut self.buffer.0, &SETTINGS_KEY, &&record[..len]).await.map_err(|_| SaveError)
    }
}
