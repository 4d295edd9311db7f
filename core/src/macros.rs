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
