from knowledgebase import permissions


def roles(request) -> dict:
    """What the signed-in person may do, so templates can hide what the server refuses."""
    user = request.user
    return {
        "is_staff_member": permissions.is_staff_member(user),
        "is_moderator": permissions.is_moderator(user),
    }
