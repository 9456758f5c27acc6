//! Sample vectors on the wire: little-endian bytes behind a postcard byte string, so the node encodes straight from
//! its `&[f32]`/`&[i16]` and a host decodes without copying (and without an allocator).

use core::fmt;

use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(target_endian = "big")]
compile_error!("stapes-protocol puts native f32/i16 bytes on the wire and assumes a little-endian target");

macro_rules! sample_vec {
    ($name:ident, $t:ty, $size:literal, $what:literal) => {
        #[doc = concat!("A vector of `", stringify!($t), "` on the wire: a postcard byte string of ", $size,
            "-byte little-endian values. Build one with `From<&[", stringify!($t), "]>` to send, get one from decoding.")]
        #[derive(Clone, Copy)]
        pub struct $name<'a>(Repr<'a, $t>);

        impl<'a> $name<'a> {
            #[doc = concat!("Number of ", $what, ".")]
            pub fn len(&self) -> usize {
                match self.0 {
                    Repr::Values(v) => v.len(),
                    Repr::Bytes(b) => b.len() / $size,
                }
            }

            #[doc = concat!("Whether there are no ", $what, ".")]
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            #[doc = concat!("The ", $what, " in order.")]
            pub fn iter(&self) -> impl Iterator<Item = $t> + '_ {
                let (values, bytes): (&[$t], &[u8]) = match self.0 {
                    Repr::Values(v) => (v, &[]),
                    Repr::Bytes(b) => (&[], b),
                };
                values.iter().copied().chain(bytes.chunks_exact($size).map(|c| {
                    let mut a = [0u8; $size];
                    a.copy_from_slice(c);
                    <$t>::from_le_bytes(a)
                }))
            }

            #[doc = concat!("The ", $what, " as a `Vec`.")]
            #[cfg(feature = "alloc")]
            pub fn to_vec(&self) -> alloc::vec::Vec<$t> {
                self.iter().collect()
            }

            fn bytes(&self) -> &[u8] {
                match self.0 {
                    // Same layout as the wire on little-endian targets (checked above): plain bytes of the values.
                    Repr::Values(v) => {
                        let len = core::mem::size_of_val(v);
                        // SAFETY: `v` is `len` initialised bytes; u8 has no alignment or validity requirement.
                        unsafe { core::slice::from_raw_parts(v.as_ptr().cast::<u8>(), len) }
                    }
                    Repr::Bytes(b) => b,
                }
            }
        }

        impl<'a> From<&'a [$t]> for $name<'a> {
            fn from(values: &'a [$t]) -> Self {
                $name(Repr::Values(values))
            }
        }

        impl PartialEq for $name<'_> {
            fn eq(&self, other: &Self) -> bool {
                self.bytes() == other.bytes()
            }
        }

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.iter()).finish()
            }
        }

        impl Serialize for $name<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.bytes())
            }
        }

        impl<'de: 'a, 'a> Deserialize<'de> for $name<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = &'de [u8];
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "a byte string of {}-byte values", $size)
                    }
                    fn visit_borrowed_bytes<E: serde::de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                        Ok(v)
                    }
                }
                let bytes = d.deserialize_bytes(V)?;
                if bytes.len() % $size != 0 {
                    return Err(D::Error::invalid_length(bytes.len(), &concat!("a multiple of ", $size)));
                }
                Ok($name(Repr::Bytes(bytes)))
            }
        }
    };
}

#[derive(Clone, Copy)]
enum Repr<'a, T> {
    Values(&'a [T]),
    Bytes(&'a [u8]),
}

sample_vec!(F32s, f32, 4, "values");
sample_vec!(I16s, i16, 2, "samples");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_bit_for_bit_through_postcard() {
        let values = [0.0f32, -0.0, 1.5, f32::MIN_POSITIVE, f32::NAN, f32::INFINITY, -3.25e-7];
        let mut buf = [0u8; 64];
        let bytes = postcard::to_slice(&F32s::from(&values[..]), &mut buf).unwrap();
        assert_eq!(bytes.len(), 1 + 4 * values.len());
        let back: F32s<'_> = postcard::from_bytes(bytes).unwrap();
        assert_eq!(back.len(), values.len());
        let bits = |it: &mut dyn Iterator<Item = f32>| it.map(f32::to_bits).collect::<Vec<_>>();
        assert_eq!(bits(&mut back.iter()), bits(&mut values.iter().copied()));
        assert_eq!(back, F32s::from(&values[..]));
    }

    #[test]
    fn a_byte_string_of_the_wrong_length_is_refused() {
        let wire = [3u8, 1, 2, 3];
        assert!(postcard::from_bytes::<F32s<'_>>(&wire).is_err());
        let wire = [4u8, 0xff, 0x7f, 0x00, 0x80];
        let back: I16s<'_> = postcard::from_bytes(&wire).unwrap();
        assert_eq!(back.iter().collect::<Vec<_>>(), [i16::MAX, i16::MIN]);
    }
}
