//! Who may do what in a chat: one permission set per role and chat kind, adjusted per member
//! by `allow`/`deny` overrides, and checked by one function, [`Access::can`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// Two people; one chat per pair.
    Direct,
    /// Everyone may write.
    Group,
    /// Members read; admins post.
    Channel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

/// One right. Stored as bits in `members.allow_bits` / `deny_bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    SendMessages,
    EditOthers,
    DeleteOthers,
    Invite,
    RemoveMembers,
    Pin,
    ChangeInfo,
    ManageAdmins,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::SendMessages,
        Permission::EditOthers,
        Permission::DeleteOthers,
        Permission::Invite,
        Permission::RemoveMembers,
        Permission::Pin,
        Permission::ChangeInfo,
        Permission::ManageAdmins,
    ];

    pub const fn bit(self) -> i64 {
        1 << self as i64
    }
}

pub fn bits(permissions: &[Permission]) -> i64 {
    permissions.iter().fold(0, |acc, p| acc | p.bit())
}

pub fn names(bits: i64) -> Vec<Permission> {
    Permission::ALL.into_iter().filter(|p| bits & p.bit() != 0).collect()
}

const ALL_BITS: i64 = (1 << Permission::ALL.len()) - 1;

/// What a role may do in a kind of chat before overrides.
pub fn role_defaults(kind: ChatKind, role: Role) -> i64 {
    use Permission::*;
    match (kind, role) {
        // Direct chats have two equal members and nothing to administer.
        (ChatKind::Direct, _) => bits(&[SendMessages, Pin]),
        (_, Role::Owner) => ALL_BITS,
        (_, Role::Admin) => ALL_BITS & !ManageAdmins.bit(),
        (ChatKind::Group, Role::Member) => bits(&[SendMessages, Invite]),
        (ChatKind::Channel, Role::Member) => 0,
    }
}

/// A member's standing in a chat.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub kind: ChatKind,
    pub role: Role,
    pub allow: i64,
    pub deny: i64,
}

impl Access {
    /// The member's effective rights: the role's, plus `allow`, minus `deny`. Owners keep all;
    /// direct chats take no overrides.
    pub fn effective(&self) -> i64 {
        match (self.kind, self.role) {
            (ChatKind::Direct, _) => role_defaults(self.kind, self.role),
            (_, Role::Owner) => ALL_BITS,
            _ => (role_defaults(self.kind, self.role) | self.allow) & !self.deny & ALL_BITS,
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.effective() & permission.bit() != 0
    }

    /// Whether this member may remove, promote, demote or restrict `target`: it takes the
    /// right, and a higher role than the target's.
    pub fn can_act_on(&self, target: Role, permission: Permission) -> bool {
        self.kind != ChatKind::Direct && self.can(permission) && self.role > target
    }
}

#[cfg(test)]
mod tests {
    use super::ChatKind::*;
    use super::Permission::*;
    use super::Role::*;
    use super::*;

    #[test]
    fn permission_table() {
        // (kind, role, allow, deny, permission, expected)
        let table: &[(ChatKind, Role, &[Permission], &[Permission], Permission, bool)] = &[
            (Direct, Member, &[], &[], SendMessages, true),
            (Direct, Member, &[], &[], Pin, true),
            (Direct, Member, &[], &[], Invite, false),
            (Direct, Member, &[ChangeInfo], &[SendMessages], SendMessages, true), // no overrides
            (Direct, Member, &[ChangeInfo], &[], ChangeInfo, false),
            (Group, Member, &[], &[], SendMessages, true),
            (Group, Member, &[], &[], Invite, true),
            (Group, Member, &[], &[], Pin, false),
            (Group, Member, &[], &[], EditOthers, false),
            (Group, Member, &[], &[], DeleteOthers, false),
            (Group, Member, &[], &[], RemoveMembers, false),
            (Group, Member, &[], &[], ChangeInfo, false),
            (Group, Member, &[], &[SendMessages], SendMessages, false), // muted
            (Group, Member, &[Pin], &[], Pin, true),
            (Group, Admin, &[], &[], DeleteOthers, true),
            (Group, Admin, &[], &[], EditOthers, true),
            (Group, Admin, &[], &[], RemoveMembers, true),
            (Group, Admin, &[], &[], Pin, true),
            (Group, Admin, &[], &[], ChangeInfo, true),
            (Group, Admin, &[], &[], ManageAdmins, false),
            (Group, Admin, &[ManageAdmins], &[], ManageAdmins, true),
            (Group, Admin, &[], &[Pin], Pin, false),
            (Group, Owner, &[], &[SendMessages, ManageAdmins], SendMessages, true), // owners keep all
            (Group, Owner, &[], &[], ManageAdmins, true),
            (Channel, Member, &[], &[], SendMessages, false),
            (Channel, Member, &[], &[], Invite, false),
            (Channel, Member, &[SendMessages], &[], SendMessages, true),
            (Channel, Admin, &[], &[], SendMessages, true),
            (Channel, Admin, &[], &[], EditOthers, true),
            (Channel, Owner, &[], &[], ManageAdmins, true),
        ];
        for &(kind, role, allow, deny, permission, expected) in table {
            let access = Access {
                kind,
                role,
                allow: bits(allow),
                deny: bits(deny),
            };
            assert_eq!(
                access.can(permission),
                expected,
                "{kind:?} {role:?} allow {allow:?} deny {deny:?}: {permission:?}"
            );
        }
    }

    #[test]
    fn acting_on_members_needs_a_higher_role() {
        let admin = Access {
            kind: Group,
            role: Admin,
            allow: 0,
            deny: 0,
        };
        assert!(admin.can_act_on(Member, RemoveMembers));
        assert!(!admin.can_act_on(Admin, RemoveMembers));
        assert!(!admin.can_act_on(Owner, RemoveMembers));
        assert!(!admin.can_act_on(Member, ManageAdmins));
        let owner = Access {
            kind: Group,
            role: Owner,
            allow: 0,
            deny: 0,
        };
        assert!(owner.can_act_on(Admin, ManageAdmins));
        let member = Access {
            kind: Group,
            role: Member,
            allow: bits(&[RemoveMembers]),
            deny: 0,
        };
        assert!(!member.can_act_on(Member, RemoveMembers));
        let direct = Access {
            kind: Direct,
            role: Owner,
            allow: 0,
            deny: 0,
        };
        assert!(!direct.can_act_on(Member, RemoveMembers));
    }

    #[test]
    fn bits_round_trip() {
        let set = [Invite, Pin, ManageAdmins];
        assert_eq!(names(bits(&set)), set);
    }
}
