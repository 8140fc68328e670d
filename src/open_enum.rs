//! Open enums for the value sets GitLab grows between releases.
//!
//! A closed Rust enum would fail a whole page of jobs the day GitLab adds a job
//! status or a failure reason. These enums name every value known today and keep
//! anything else in `Other(String)`, which serializes back to the same string.
//!
//! The values are not listed here: build.rs reads every schema of the spec
//! marked `x-open-enum` and calls [`open_enum!`] once per schema with its values
//! (see `spec/load.rs`), so a value added to the spec is a known variant after
//! the next build. This file holds what is the same for all of them.

/// Writes one open enum: a variant per known value, `Other(String)` for the
/// rest, and its string conversions and serde impls.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        ///
        /// Values GitLab adds after this crate was released parse as `Other` and
        /// serialize back unchanged; match on `Other` or use [`Self::as_str`].
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $wire, "`")] $variant, )+
            /// A value this version of the crate does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// Every value this version of the crate knows, in GitLab's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value as GitLab writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(other) => other,
                }
            }

            /// Whether this version of the crate knows the value.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $( $wire => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                })
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                let Ok(value) = s.parse();
                value
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                // `pad` honours width and alignment, so `{:<10}` lines up in tables.
                f.pad(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // Borrow when the input allows it; only `Other` allocates.
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                let Ok(value) = s.parse();
                Ok(value)
            }
        }
    };
}

pub(crate) use open_enum;
