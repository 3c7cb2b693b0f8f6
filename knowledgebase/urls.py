app_name = "kb"
urlpatterns = []
