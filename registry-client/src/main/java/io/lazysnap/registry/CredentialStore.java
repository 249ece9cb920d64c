package io.lazysnap.registry;

import java.util.Optional;

/** Where credentials for a registry host come from. */
interface CredentialStore {

    /** Credentials for {@code host} (as in a reference: {@code name[:port]}), if any are configured. */
    Optional<Credential> find(String host);
}
