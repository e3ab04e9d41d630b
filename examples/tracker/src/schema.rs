//! diesel's view of the schema at head, as `diesel print-schema` writes it.
//! `tests/migrations.rs` proves it matches what the migrations build.

diesel::table! {
    users (id) {
        id -> Integer,
        #[max_length = 100]
        name -> Varchar,
        created_at -> Timestamp,
        #[max_length = 255]
        email -> Nullable<Varchar>,
        is_billing_contact -> Bool,
    }
}

diesel::table! {
    problems (id) {
        id -> Integer,
        #[max_length = 100]
        slug -> Varchar,
        title -> Text,
        #[max_length = 10]
        difficulty -> Varchar,
    }
}

diesel::table! {
    submissions (id) {
        id -> Integer,
        user_id -> Integer,
        problem_id -> Integer,
        #[max_length = 20]
        verdict -> Varchar,
        submitted_at -> Timestamp,
    }
}

diesel::joinable!(submissions -> users (user_id));
diesel::joinable!(submissions -> problems (problem_id));
diesel::allow_tables_to_appear_in_same_query!(users, problems, submissions);
