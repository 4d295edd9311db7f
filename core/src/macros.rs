//! Macros the crate's modules share.

/// Builder setters: each `name(arg: Type) => field;` becomes a
/// `#[must_use] pub fn name(mut self, arg: Type) -> Self` that sets `field`,
/// with the doc comment written above it.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) => $field:ident;)*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(mut self, $arg: $ty) -> Self {
                self.$field = $arg;
                self
            }
        )*
    };
}

/// `Debug` for a type that holds secrets: its name and only the public
/// fields listed, each computed from `$s` (the value), then `..`.
macro_rules! debug_public {
    ($t:ty, $name:expr, |$s:ident| $($field:ident: $value:expr),+ $(,)?) => {
        impl core::fmt::Debug for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let $s = self;
                f.debug_struct($name)
                    $(.field(stringify!($field), &$value))+
                    .finish_non_exhaustive()
            }
        }
    };
}
