//! Kobler's feed readers: Kobler JSON Lines with file:line errors
