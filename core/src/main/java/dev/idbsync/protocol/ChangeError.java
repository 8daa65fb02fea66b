package dev.idbsync.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Why a change was {@code rejected}: a code from PROTOCOL.md ({@code schema}, {@code too_large},
 * {@code too_deep}, {@code key_too_large}, {@code unknown_store}, ...), the JSON pointer of the
 * offending part of the change (may be null) and a message a developer can act on.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChangeError(String code, String path, String message) {
}
