from knowledgebase import notifications, permissions


def roles(request) -> dict:
    """What the signed-in person may do, so templates can hide what the server refuses."""
    user = request.user
    return {
        "is_staff_member": permissions.is_staff_member(user),
        "is_moderator": permissions.is_moderator(user),
        # Called by the template only where it is shown: one count query per signed-in page.
        "unread_notifications": lambda: notifications.unread_count(user),
    }
