//! diesel's view of the schema at head (what `diesel print-schema` would write).

diesel::table! {
    users (id) {
        id -> Integer,
        name -> Varchar,
        email -> Nullable<Varchar>,
        is_billing_contact -> Bool,
    }
}

diesel::table! {
    problems (id) {
        id -> Integer,
        slug -> Varchar,
        title -> Text,
        difficulty -> Varchar,
    }
}

diesel::table! {
    submissions (id) {
        id -> Integer,
        user_id -> Integer,
        problem_id -> Integer,
        verdict -> Varchar,
    }
}

diesel::joinable!(submissions -> users (user_id));
diesel::joinable!(submissions -> problems (problem_id));
diesel::allow_tables_to_appear_in_same_query!(users, problems, submissions);
