//! Plan, then build: a validated [`Config`] becomes a [`Plan`] (sizes, FFT recipe, sparse mel layout — plain data,
//! no heap), whose read-only tables (FFT twiddles, window, mel weights, DCT) are then filled into caller-owned f32
//! storage. The same code fills them on every target, so the tables are bit-identical everywhere.

use core::ops::Range;

use crate::config::Config;
use crate::error::{ConfigError, Error};
use crate::fft::FftPlan;
use crate::frame::Compression;
use crate::mel::Bank;
use crate::{dct, window};

/// Everything derived from a config that is needed to run it, minus the tables themselves.
#[derive(Clone, Debug)]
pub struct Plan {
    config: Config,
    fft: FftPlan,
    bank: Option<Bank>,
    /// Rows before the DCT: mel bands, or FFT bins without a mel bank.
    pub(crate) n_bands: usize,
    /// Where the window starts inside the span and inside the FFT buffer.
    pub(crate) woff: usize,
    /// The log step (none without one).
    pub(crate) compression: Option<Compression>,
    fft_table: Range<usize>,
    window: Range<usize>,
    mel_weights: Range<usize>,
    dct: Range<usize>,
}

/// The filled tables, borrowed from their storage.
#[derive(Clone, Copy)]
pub struct Tables<'a> {
    pub(crate) fft: &'a [f32],
    pub(crate) window: &'a [f32],
    pub(crate) mel_weights: &'a [f32],
    pub(crate) dct: &'a [f32],
}

impl Plan {
    /// Validates `config` and lays out its tables.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let n_fft = config.frames.n_fft as usize;
        let fft = FftPlan::try_new(n_fft).map_err(|_| ConfigError::FftSize(config.frames.n_fft))?;
        let bins = n_fft / 2 + 1;
        let win = config.frames.win_length as usize;
        let span = config.span();
        let n_bands = config.mel.map_or(bins, |m| m.n_mels as usize);
        let bank = config.mel.map(|m| Bank::new(&m, config.sample_rate, n_fft));
        let dct_len = config.mfcc.map_or(0, |m| m.n_mfcc as usize * n_bands);
        let mut at = 0;
        let mut take = |len: usize| {
            at += len;
            at - len..at
        };
        Ok(Plan {
            fft_table: take(fft.table_len()),
            window: take(win),
            mel_weights: take(bank.as_ref().map_or(0, Bank::n_weights)),
            dct: take(dct_len),
            config: config.clone(),
            fft,
            bank,
            n_bands,
            woff: (span - win) / 2,
            compression: Compression::of(config.log),
        })
    }

    /// The config this plan runs.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The FFT recipe.
    pub fn fft(&self) -> &FftPlan {
        &self.fft
    }

    /// The mel filterbank's layout, if the config has one.
    pub fn bank(&self) -> Option<&Bank> {
        self.bank.as_ref()
    }

    /// f32 elements of table storage [`Plan::fill_tables`] needs.
    pub fn tables_len(&self) -> usize {
        self.dct.end
    }

    /// Computes every table into `storage` (its first `tables_len()` elements).
    pub fn fill_tables(&self, storage: &mut [f32]) -> Result<(), Error> {
        let need = self.tables_len();
        let got = storage.len();
        let storage = storage.get_mut(..need).ok_or(Error::Storage { expected: need, got })?;
        self.fft.fill_table(&mut storage[self.fft_table.clone()])?;
        window::fill(&self.config.window, &mut storage[self.window.clone()]);
        if let Some(bank) = &self.bank {
            bank.fill(&mut storage[self.mel_weights.clone()]);
        }
        if let Some(m) = &self.config.mfcc {
            dct::fill(m, self.n_bands, &mut storage[self.dct.clone()]);
        }
        Ok(())
    }

    /// Borrows the filled tables from `storage`.
    pub fn tables<'a>(&self, storage: &'a [f32]) -> Tables<'a> {
        Tables {
            fft: &storage[self.fft_table.clone()],
            window: &storage[self.window.clone()],
            mel_weights: &storage[self.mel_weights.clone()],
            dct: &storage[self.dct.clone()],
        }
    }
}
