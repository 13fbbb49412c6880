//! The dataset definitions shipped in `content/datasets/`, compiled in so that every binary
//! (including a Lambda function) has them without a folder at hand.

macro_rules! definitions {
    ($($name:literal),* $(,)?) => {
        pub(crate) const DEFINITIONS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../content/datasets/", $name, ".toml")))),*
        ];
    };
}

definitions!(
    "annual-report",
    "black-list",
    "dishonest-debtor",
    "filing",
    "licensing",
    "penalty",
    "red-list",
    "tax-arrears",
    "tax-payment",
);
