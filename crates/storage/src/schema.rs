//! The one schema both backends share, written by hand with the SQL types both map the same way:
//! BigInt, Integer, Text, Bool, Date, Timestamp (naive, always UTC) and Binary (BLOB / BYTEA).

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        role -> Text,
        disabled -> Bool,
        password_hash -> Text,
        time_zone -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        revision -> BigInt,
        totp_secret -> Nullable<Text>,
        totp_enabled -> Bool,
        totp_last_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    organizations (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        website -> Text,
        boilerplate -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        revision -> BigInt,
    }
}

diesel::table! {
    organization_contacts (id) {
        id -> BigInt,
        organization_id -> BigInt,
        position -> Integer,
        name -> Text,
        title -> Text,
        email -> Text,
        phone -> Text,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        parent_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        revision -> BigInt,
    }
}

diesel::table! {
    regions (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        revision -> BigInt,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        created_at -> Timestamp,
        revision -> BigInt,
    }
}

diesel::table! {
    releases (id) {
        id -> BigInt,
        public_id -> Text,
        slug -> Text,
        headline -> Text,
        subheadline -> Text,
        dateline_city -> Text,
        dateline_region -> Text,
        dateline_date -> Nullable<Date>,
        dateline_distributor -> Text,
        source_label -> Text,
        source_url -> Text,
        summary -> Text,
        body -> Text,
        language -> Text,
        status -> Text,
        embargo_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        corrected_at -> Nullable<Timestamp>,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawal_reason -> Text,
        organization_id -> Nullable<BigInt>,
        author_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        revision -> BigInt,
        slug_chosen -> Bool,
        body_packed -> Nullable<Binary>,
    }
}

diesel::table! {
    release_contacts (id) {
        id -> BigInt,
        release_id -> BigInt,
        position -> Integer,
        name -> Text,
        title -> Text,
        email -> Text,
        phone -> Text,
    }
}

diesel::table! {
    release_categories (release_id, category_id) {
        release_id -> BigInt,
        category_id -> BigInt,
    }
}

diesel::table! {
    release_regions (release_id, region_id) {
        release_id -> BigInt,
        region_id -> BigInt,
    }
}

diesel::table! {
    release_tags (release_id, tag_id) {
        release_id -> BigInt,
        tag_id -> BigInt,
    }
}

diesel::table! {
    release_revisions (id) {
        id -> BigInt,
        release_id -> BigInt,
        revision -> BigInt,
        snapshot -> Text,
        slug -> Text,
        status -> Text,
        action -> Text,
        note -> Text,
        author_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        packed -> Nullable<Binary>,
        packed_base -> Nullable<BigInt>,
    }
}

diesel::table! {
    corrections (id) {
        id -> BigInt,
        release_id -> BigInt,
        note -> Text,
        revision -> BigInt,
        editor_id -> Nullable<BigInt>,
        corrected_at -> Timestamp,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    site_state (id) {
        id -> Integer,
        content_version -> BigInt,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        mfa_pending -> Bool,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        ip -> Text,
        user_agent -> Text,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_failure_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        scope -> Text,
        token_hash -> Text,
        prefix -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    one_time_tokens (id) {
        id -> BigInt,
        kind -> Text,
        token_hash -> Text,
        user_id -> Nullable<BigInt>,
        email -> Nullable<Text>,
        display_name -> Nullable<Text>,
        role -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor_label -> Text,
        ip -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        result -> Text,
        request_id -> Text,
        detail -> Text,
    }
}

diesel::table! {
    audit_prune_permits (id) {
        id -> BigInt,
        cutoff -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        release_id -> Nullable<BigInt>,
        run_at -> Timestamp,
        created_at -> Timestamp,
        attempts -> Integer,
        last_error -> Text,
        done_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    preview_links (id) {
        id -> BigInt,
        release_id -> BigInt,
        token_hash -> Text,
        label -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        open_count -> BigInt,
        last_opened_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    review_comments (id) {
        id -> BigInt,
        release_id -> BigInt,
        author_id -> Nullable<BigInt>,
        revision -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    wire_imports (fingerprint) {
        fingerprint -> Text,
        release_id -> BigInt,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    media_blobs (sha256) {
        sha256 -> Text,
        bytes -> Binary,
        byte_size -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> BigInt,
        sha256 -> Text,
        kind -> Text,
        original_name -> Text,
        alt -> Text,
        caption -> Text,
        credit -> Text,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        byte_size -> BigInt,
        release_id -> Nullable<BigInt>,
        organization_id -> Nullable<BigInt>,
        uploaded_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media_renditions (media_id, width, format) {
        media_id -> BigInt,
        width -> Integer,
        format -> Text,
        sha256 -> Text,
        height -> Integer,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        description -> Text,
        events -> Text,
        secret -> Text,
        allow_private -> Bool,
        active -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event -> Text,
        release_id -> Nullable<BigInt>,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Text,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> Timestamp,
        status -> Nullable<Integer>,
        error -> Text,
        duration_ms -> Integer,
    }
}

diesel::joinable!(organization_contacts -> organizations (organization_id));
diesel::joinable!(releases -> organizations (organization_id));
diesel::joinable!(releases -> users (author_id));
diesel::joinable!(release_contacts -> releases (release_id));
diesel::joinable!(release_categories -> releases (release_id));
diesel::joinable!(release_categories -> categories (category_id));
diesel::joinable!(release_regions -> releases (release_id));
diesel::joinable!(release_regions -> regions (region_id));
diesel::joinable!(release_tags -> releases (release_id));
diesel::joinable!(release_tags -> tags (tag_id));
diesel::joinable!(release_revisions -> releases (release_id));
diesel::joinable!(corrections -> releases (release_id));
diesel::joinable!(wire_imports -> releases (release_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(jobs -> releases (release_id));
diesel::joinable!(preview_links -> releases (release_id));
diesel::joinable!(review_comments -> releases (release_id));
diesel::joinable!(media -> media_blobs (sha256));
diesel::joinable!(media -> releases (release_id));
diesel::joinable!(media_renditions -> media (media_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    organizations,
    organization_contacts,
    categories,
    regions,
    tags,
    releases,
    release_contacts,
    release_categories,
    release_regions,
    release_tags,
    release_revisions,
    corrections,
    settings,
    site_state,
    sessions,
    login_throttle,
    recovery_codes,
    api_tokens,
    one_time_tokens,
    audit_log,
    audit_prune_permits,
    jobs,
    preview_links,
    review_comments,
    wire_imports,
    media_blobs,
    media,
    media_renditions,
    webhooks,
    webhook_deliveries,
    webhook_attempts,
);
