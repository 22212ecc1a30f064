//! Table definitions, matching `migrations/sqlite` and `migrations/postgres` exactly.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        is_active -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        csrf_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        token_hash -> Text,
        prefix -> Text,
        scopes -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    login_throttle (throttle_key) {
        throttle_key -> Text,
        attempts -> Integer,
        last_attempt_at -> BigInt,
        next_attempt_at -> BigInt,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    team_members (team_id, user_id) {
        team_id -> Text,
        user_id -> Text,
        role -> Text,
        added_at -> BigInt,
    }
}

diesel::table! {
    user_groups (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
        managed -> Bool,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        added_at -> BigInt,
    }
}

diesel::table! {
    datasets (id) {
        id -> Text,
        owner_id -> Text,
        team_id -> Nullable<Text>,
        name -> Text,
        description -> Text,
        tags -> Text,
        licence -> Nullable<Text>,
        latest_version -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
        deleted_by -> Nullable<Text>,
    }
}

diesel::table! {
    dataset_versions (dataset_id, version) {
        dataset_id -> Text,
        version -> Integer,
        file_path -> Text,
        original_filename -> Text,
        source_format -> Text,
        row_count -> BigInt,
        schema_json -> Text,
        size_bytes -> BigInt,
        source_bytes -> BigInt,
        sha256 -> Text,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
        message -> Text,
        withdrawn_at -> Nullable<BigInt>,
        withdrawn_by -> Nullable<Text>,
        withdraw_reason -> Nullable<Text>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(group_members -> user_groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(datasets -> users (owner_id));
diesel::joinable!(datasets -> teams (team_id));
diesel::joinable!(dataset_versions -> datasets (dataset_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    api_tokens,
    login_throttle,
    teams,
    team_members,
    user_groups,
    group_members,
    datasets,
    dataset_versions,
    export_jobs,
    plugin_components,
    plugins,
);

diesel::table! {
    export_jobs (id) {
        id -> Text,
        dataset_id -> Text,
        version -> Integer,
        format -> Text,
        spec -> Text,
        status -> Text,
        total_rows -> Nullable<BigInt>,
        rows_done -> BigInt,
        bytes_done -> BigInt,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        artifact_path -> Nullable<Text>,
        file_name -> Nullable<Text>,
        media_type -> Nullable<Text>,
        manifest -> Nullable<Text>,
        attempts -> Integer,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
        started_at -> Nullable<BigInt>,
        heartbeat_at -> Nullable<BigInt>,
        finished_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    plugin_components (sha256) {
        sha256 -> Text,
        bytes -> Binary,
        size_bytes -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    plugins (id) {
        id -> Text,
        source -> Text,
        kind -> Text,
        version -> Text,
        manifest -> Text,
        component_sha256 -> Text,
        enabled -> Bool,
        approved -> Nullable<Text>,
        installed_by -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::joinable!(export_jobs -> datasets (dataset_id));

diesel::table! {
    policy_rules (id) {
        id -> Text,
        ptype -> Text,
        v0 -> Text,
        v1 -> Text,
        v2 -> Text,
        note -> Text,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    policy_versions (version) {
        version -> BigInt,
        changed_by -> Nullable<Text>,
        changed_at -> BigInt,
        summary -> Text,
    }
}

diesel::table! {
    access_state (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    shares (id) {
        id -> Text,
        dataset_id -> Text,
        subject_kind -> Text,
        subject_id -> Text,
        level -> Text,
        expires_at -> Nullable<BigInt>,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        accepted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        target -> Text,
        outcome -> Text,
        detail -> Text,
        address -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    token_keys (id) {
        id -> Text,
        private_key -> Text,
        public_key -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    share_links (id) {
        id -> Text,
        owner_id -> Text,
        dataset_id -> Nullable<Text>,
        export_job_id -> Nullable<Text>,
        slug_hash -> Text,
        name -> Text,
        level -> Text,
        version -> Nullable<Integer>,
        allowed_formats -> Nullable<Text>,
        allowed_columns -> Nullable<Text>,
        expires_at -> Nullable<BigInt>,
        max_downloads -> Nullable<BigInt>,
        downloads_taken -> BigInt,
        downloads_completed -> BigInt,
        password_hash -> Nullable<Text>,
        password_epoch -> BigInt,
        self_destruct -> Bool,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        destroyed_at -> Nullable<BigInt>,
        last_access_at -> Nullable<BigInt>,
        needs_level -> Text,
        sealed_address -> Nullable<Text>,
    }
}

diesel::table! {
    link_sessions (token_hash) {
        token_hash -> Text,
        link_id -> Text,
        password_epoch -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    link_downloads (id) {
        id -> Text,
        link_id -> Text,
        state -> Text,
        holds_slot -> Bool,
        size_bytes -> BigInt,
        covered_to -> BigInt,
        bytes_sent -> BigInt,
        token_blocks -> Text,
        started_at -> BigInt,
        updated_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    token_block_downloads (revocation_id) {
        revocation_id -> Text,
        link_id -> Text,
        completed -> BigInt,
        taken -> BigInt,
    }
}

diesel::table! {
    link_access_log (id) {
        id -> Text,
        link_id -> Text,
        at -> BigInt,
        event -> Text,
        reason -> Nullable<Text>,
        address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    column_summaries (dataset_id, version) {
        dataset_id -> Text,
        version -> Integer,
        summary_json -> Text,
        computed_at -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        at -> BigInt,
        kind -> Text,
        actor -> Text,
        dataset_id -> Nullable<Text>,
        link_id -> Nullable<Text>,
        subject -> Nullable<Text>,
        visitor -> Nullable<Text>,
        payload -> Text,
    }
}

diesel::table! {
    event_outbox (event_id) {
        event_id -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    activity_daily (scope, dataset_id, link_id, team_id, day, kind, detail) {
        scope -> Text,
        day -> BigInt,
        kind -> Text,
        dataset_id -> Text,
        link_id -> Text,
        team_id -> Text,
        detail -> Text,
        count -> BigInt,
        total -> BigInt,
    }
}

diesel::table! {
    activity_visitors (day, dataset_id, link_id, visitor) {
        day -> BigInt,
        dataset_id -> Text,
        link_id -> Text,
        visitor -> Text,
    }
}

diesel::table! {
    visitor_keys (day) {
        day -> BigInt,
        secret -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(events, event_outbox);

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        event_id -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        url -> Text,
        in_app -> Bool,
        created_at -> BigInt,
        read_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    notification_preferences (user_id, kind, channel) {
        user_id -> Text,
        kind -> Text,
        channel -> Text,
        cadence -> Text,
    }
}

diesel::table! {
    notification_channels (id) {
        id -> Text,
        user_id -> Text,
        plugin -> Text,
        label -> Text,
        settings -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    notification_deliveries (id) {
        id -> Text,
        channel_id -> Text,
        user_id -> Text,
        cadence -> Text,
        notification_ids -> Text,
        status -> Text,
        due_at -> BigInt,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    delivery_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        at -> BigInt,
        outcome -> Text,
        detail -> Text,
        duration_ms -> BigInt,
    }
}

diesel::table! {
    unsubscribe_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        kind -> Text,
        channel -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    dataset_watches (user_id, dataset_id) {
        user_id -> Text,
        dataset_id -> Text,
        mode -> Text,
    }
}

diesel::joinable!(notification_deliveries -> notification_channels (channel_id));
diesel::allow_tables_to_appear_in_same_query!(notification_deliveries, notification_channels);
