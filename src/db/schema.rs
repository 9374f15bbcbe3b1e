//! Every typed diesel table of Parc, declared once: the authentication path's and the
//! directory's. Only the columns Parc's own code reads are declared; the generic itemtype
//! engine reaches every column dynamically.

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
diesel::table! {
    establishments (id) {
        id -> Integer,
        uai -> Text,
        entities_id -> Integer,
        aaf_id -> Nullable<Text>,
        aaf_date -> Nullable<Text>,
        name -> Text,
        kind -> Nullable<Text>,
        nature -> Nullable<Text>,
        sector -> Nullable<Text>,
        address -> Nullable<Text>,
        postcode -> Nullable<Text>,
        commune_code -> Nullable<Text>,
        town -> Nullable<Text>,
        departement -> Nullable<Text>,
        academie_code -> Nullable<Text>,
        academie -> Nullable<Text>,
        region_code -> Nullable<Text>,
        region -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        siret -> Nullable<Text>,
        state -> Text,
        opened_on -> Nullable<Text>,
        closed_on -> Nullable<Text>,
        source_updated_on -> Nullable<Text>,
        source -> Text,
        date_creation -> Text,
        date_mod -> Text,
    }
}

diesel::table! {
    directory_people (id) {
        id -> Integer,
        aaf_id -> Text,
        users_id -> Integer,
        category -> Text,
        structures -> Text,
        functions -> Text,
        email -> Nullable<Text>,
        left_on -> Nullable<Text>,
        aaf_date -> Nullable<Text>,
        date_creation -> Text,
        date_mod -> Text,
    }
}

diesel::table! {
    directory_profile_map (id) {
        id -> Integer,
        function_code -> Text,
        profiles_id -> Integer,
        is_recursive -> Integer,
    }
}

diesel::table! {
    cas_sessions (ticket_hash) {
        ticket_hash -> Text,
        sessions_id -> Integer,
        created_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(profiles, profiles_users, users, profilerights, entities);
