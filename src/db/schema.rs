//! Typed diesel tables for the hot authentication path. Only the columns Parc's own code
//! reads are declared; the generic itemtype engine reaches every column dynamically.

diesel::table! {
    sessions (id) {
        id -> Integer,
        token_hash -> Text,
        users_id -> Integer,
        profiles_id -> Integer,
        entities_id -> Integer,
        is_recursive -> Integer,
        apiclients_id -> Integer,
        created_at -> BigInt,
        last_activity -> BigInt,
    }
}

diesel::table! {
    profilerights (id) {
        id -> Integer,
        profiles_id -> Integer,
        name -> Text,
        rights -> Integer,
    }
}

diesel::table! {
    profiles (id) {
        id -> Integer,
        name -> Nullable<Text>,
        interface -> Nullable<Text>,
    }
}

diesel::table! {
    profiles_users (id) {
        id -> Integer,
        users_id -> Integer,
        profiles_id -> Integer,
        entities_id -> Integer,
        is_recursive -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        name -> Nullable<Text>,
        password -> Nullable<Text>,
        api_token -> Nullable<Text>,
        realname -> Nullable<Text>,
        firstname -> Nullable<Text>,
        language -> Nullable<Text>,
        is_active -> Integer,
        is_deleted -> Integer,
        profiles_id -> Integer,
        entities_id -> Nullable<Integer>,
        list_limit -> Nullable<Integer>,
    }
}

diesel::table! {
    apiclients (id) {
        id -> Integer,
        name -> Nullable<Text>,
        is_active -> Integer,
        ipv4_range_start -> Nullable<BigInt>,
        ipv4_range_end -> Nullable<BigInt>,
        ipv6 -> Nullable<Text>,
        app_token -> Nullable<Text>,
    }
}

diesel::table! {
    entities (id) {
        id -> Integer,
        name -> Nullable<Text>,
        completename -> Nullable<Text>,
        entities_id -> Nullable<Integer>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(profiles, profiles_users, users, profilerights, entities);
